// Separate compilation of Asio, Asio.SSL and Beast: their definitions are compiled once, here.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
