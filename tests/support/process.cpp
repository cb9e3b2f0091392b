#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sb::test {
namespace {

int spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int& out_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());  // a bare name (e.g. "openssl") is looked up on PATH
    std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  out_fd = fds[0];
  return pid;
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> env) {
  pid_ = spawn(argv, env, out_fd_);
  static const std::regex listening(R"(listening on https?://[^:\s]+:(\d+))");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    pump(100);
    std::smatch m;
    if (std::regex_search(output_, m, listening)) {
      port_ = static_cast<unsigned short>(std::stoi(m[1]));
      return;
    }
    if (!running()) break;
  }
  const std::string out = output_;
  stop(9);
  throw std::runtime_error("process " + argv[0] + " did not start listening; output:\n" + out);
}

Process::~Process() {
  if (pid_ > 0) stop(9);
  if (out_fd_ >= 0) ::close(out_fd_);
}

void Process::pump(int timeout_ms) {
  pollfd p{out_fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    output_.append(buf, static_cast<std::size_t>(n));
    if (::poll(&p, 1, 0) <= 0) break;
  }
}

bool Process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int Process::stop(int signal, int timeout_ms) {
  if (pid_ > 0) {
    ::kill(pid_, signal);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (running() && std::chrono::steady_clock::now() < until) pump(20);
    if (running()) {
      ::kill(pid_, SIGKILL);
      while (running()) pump(20);
    }
  }
  pump(0);
  return exit_status_;
}

std::string Process::output() {
  pump(0);
  return output_;
}

std::pair<int, std::string> run_command(std::vector<std::string> argv, std::map<std::string, std::string> env) {
  int fd = -1;
  const int pid = spawn(argv, env, fd);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace sb::test
