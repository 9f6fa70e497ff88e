#include "sparsecert/support/input_file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <system_error>

#include "sparsecert/support/input_error.hpp"
#include "sparsecert/support/memory.hpp"

namespace sparsecert {

namespace {

std::string system_problem(int error) { return std::error_code(error, std::generic_category()).message(); }

struct Closer {
    int fd;
    ~Closer() {
        if (fd != STDIN_FILENO) ::close(fd);
    }
};

}  // namespace

std::uint64_t default_max_input_bytes() { return usable_memory_bytes() / 20; }

std::string read_input_file(const std::string& path, const std::string& name, const InputFileLimits& limits) {
    const bool standard_input = path == "-";
    // Non-blocking, so that opening a FIFO does not wait for a writer (reads wait in poll below).
    const int fd = standard_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw InputError(name, "", "cannot open file: " + system_problem(errno));
    const Closer closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw InputError(name, "", "cannot open file: " + system_problem(errno));
    if (S_ISDIR(info.st_mode)) throw InputError(name, "", "cannot open file: " + system_problem(EISDIR));
    const bool regular = S_ISREG(info.st_mode);
    if ((S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) && !standard_input && ::isatty(fd) == 0)
        throw InputError(name, "", "cannot read file: it is a device, not a file");
    auto too_large = [&] {
        return InputError(name, "", "larger than " + std::to_string(limits.max_bytes) + " bytes" +
                                        (limits.why.empty() ? "" : ", " + limits.why));
    };
    if (regular && std::uint64_t(info.st_size) > limits.max_bytes) throw too_large();

    std::string text;
    if (regular) text.reserve(std::size_t(info.st_size));
    std::array<char, 1 << 16> buffer{};
    // A FIFO without a writer reads as end of file at once; a writer that has been there (data,
    // "would block", or a hang-up) makes end of file real.
    bool writer_seen = regular || standard_input;
    const auto writer_deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(std::llround(std::max(0.0, std::min(limits.writer_wait_seconds, 3600.0)) * 1000));
    for (;;) {
        const ssize_t got = ::read(fd, buffer.data(), buffer.size());
        if (got > 0) {
            writer_seen = true;
            text.append(buffer.data(), std::size_t(got));
            if (text.size() > limits.max_bytes) throw too_large();
            continue;
        }
        int wait_ms = -1;
        if (got == 0) {
            if (writer_seen) break;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                writer_deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                throw InputError(name, "", "cannot read file: no process writes to it (a FIFO without a writer)");
            wait_ms = int(left.count());
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            writer_seen = true;
        } else {
            throw InputError(name, "", "cannot read file: " + system_problem(errno));
        }
        pollfd waiting{fd, POLLIN, 0};
        if (::poll(&waiting, 1, wait_ms) < 0 && errno != EINTR)
            throw InputError(name, "", "cannot read file: " + system_problem(errno));
        if (waiting.revents & (POLLHUP | POLLERR)) writer_seen = true;
    }
    return text;
}

}  // namespace sparsecert
