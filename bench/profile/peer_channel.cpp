#include "profile/peer_channel.hpp"

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace inertia::bench {

peer_channel::peer_channel(int request_fd, int reply_fd)
    : requests_(fdopen(request_fd, "w")), replies_(fdopen(reply_fd, "r")) {
  if (!requests_ || !replies_) throw std::invalid_argument("--peer-fds: cannot open the descriptors");
}

peer_channel::~peer_channel() {
  std::fputs("done\n", requests_);
  std::fclose(requests_);
  std::fclose(replies_);
}

std::string peer_channel::request(const std::string& line) {
  std::fputs((line + "\n").c_str(), requests_);
  std::fflush(requests_);
  std::string reply;
  for (int c; (c = std::fgetc(replies_)) != EOF && c != '\n';) reply += static_cast<char>(c);
  if (reply.empty() && std::feof(replies_)) throw std::runtime_error("external peer: no reply to '" + line + "'");
  return reply;
}

void peer_channel::send_model(const workload& model) {
  std::ostringstream text;
  text << "model " << model.tensors.size();
  for (const tensor_shape& t : model.tensors) {
    text << "\n" << t.name;
    for (std::size_t d : t.dims) text << " " << d;
  }
  const std::string reply = request(text.str());
  if (reply != "ok") throw std::runtime_error("external peer: model refused: " + reply);
}

std::vector<std::string> peer_channel::prepare(std::string_view variant, std::string_view dtype, int threads,
                                               int warmup_steps) {
  const std::string reply = request("prepare " + std::string(variant) + " " + std::string(dtype) + " " +
                                    std::to_string(threads) + " " + std::to_string(warmup_steps));
  std::istringstream fields(reply);
  std::string word;
  if (!(fields >> word) || word != "ok") throw std::runtime_error("external peer: prepare failed: " + reply);
  std::vector<std::string> names;
  while (fields >> word) names.push_back(word);
  return names;
}

double peer_channel::sample(const std::string& peer) {
  const std::string reply = request("sample " + peer);
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(reply.c_str(), &end);
  if (errno != 0 || end == reply.c_str() || !(seconds > 0))
    throw std::runtime_error("external peer " + peer + ": bad sample '" + reply + "'");
  return seconds;
}

}  // namespace inertia::bench
