#include "http/empty_mark.hpp"

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/version.hpp>

namespace sb::http {
namespace {

namespace net = boost::asio;
using Reactor = net::detail::reactor;
static_assert(BOOST_VERSION / 100 == 1081, "ReceiveEmptyMarker relies on Boost 1.81's epoll reactor: review it");
static_assert(std::is_same_v<Reactor, net::detail::epoll_reactor>);

// The socket's implementation (protected in basic_socket): a pointer to member named through a derived class.
struct ImplAccess : net::ip::tcp::socket {
  static auto& of(net::ip::tcp::socket& s) { return (s.*(&ImplAccess::impl_)).get_implementation(); }
};

// Set on this thread while mark() starts its operation.
thread_local bool t_marking = false;

// A read operation that does no I/O. Tried at once by start_op (the reactor tries a read when none is queued), it
// reports "done, nothing more to read", which is what makes the reactor stop trying reads on the socket until its
// next readiness event. Queued instead (the reactor had already stopped trying) and performed on that event, by
// whichever thread, it is plain "done": it never stops the reads queued behind it from being performed.
class EmptyMark final : public net::detail::reactor_op {
 public:
  EmptyMark() : reactor_op(boost::system::error_code(), &EmptyMark::perform, &EmptyMark::complete) {}

 private:
  static status perform(reactor_op*) { return t_marking ? done_and_exhausted : done; }
  static void complete(void*, net::detail::scheduler_operation* op, const boost::system::error_code&, std::size_t) {
    delete static_cast<EmptyMark*>(op);  // run or destroyed (the io_context shut down): nothing else to do
  }
};

}  // namespace

ReceiveEmptyMarker::ReceiveEmptyMarker(net::execution_context& context)
    : reactor_(&net::use_service<Reactor>(context)) {}

void ReceiveEmptyMarker::mark(net::ip::tcp::socket& socket) const {
  if (!socket.is_open()) return;
  auto& impl = ImplAccess::of(socket);
  t_marking = true;
  reactor_->start_op(Reactor::read_op, impl.socket_, impl.reactor_data_, new EmptyMark(), true, true);
  t_marking = false;
}

}  // namespace sb::http
