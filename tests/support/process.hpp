// Starts a real binary for integration tests, learns its port from its "listening on" line, stops it.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace sb::test {

class Process {
 public:
  // Starts `argv` with `env` added to (or overriding) the current environment; waits (at most 10 s) for a line
  // containing "listening on http://HOST:PORT" on stdout or stderr.
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] unsigned short port() const { return port_; }
  [[nodiscard]] std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Sends a signal and waits for exit; returns the exit status (or 128+signal).
  int stop(int signal = 15, int timeout_ms = 15000);
  [[nodiscard]] bool running();
  // Everything the process wrote so far (stdout and stderr interleaved).
  std::string output();

 private:
  void pump(int timeout_ms);
  int pid_ = -1;
  int out_fd_ = -1;
  unsigned short port_ = 0;
  std::string output_;
  int exit_status_ = -1;
};

// Runs a command to completion; returns {exit status, combined output}.
std::pair<int, std::string> run_command(std::vector<std::string> argv, std::map<std::string, std::string> env = {});

}  // namespace sb::test
