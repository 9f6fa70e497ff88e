// Reading an input file whole, with bounded memory and without blocking forever
// (docs/reliability.md, "Inputs that are not regular files"). Every reader of the tools uses it.
#pragma once

#include <cstdint>
#include <string>

namespace sparsecert {

struct InputFileLimits {
    // Larger inputs are refused: a regular file up front from its size, a stream once it has
    // delivered more.
    std::uint64_t max_bytes;
    // Appended to the "larger than" message: why the limit is what it is.
    std::string why;
    // How long a FIFO may go without a writer before it is refused, instead of blocking forever.
    double writer_wait_seconds = 2.0;
};

// The whole text of `path` ("-" is standard input). Regular files, FIFOs, pipes, sockets and
// terminals are read; other devices (/dev/zero, /dev/urandom, disks) are refused. A FIFO that no
// process opens for writing within limits.writer_wait_seconds is refused; once a writer is there,
// its data is awaited (a slow generator is not an error). Errors are InputError(name, "", ...),
// "cannot open file: ...", "cannot read file: ...", or the size limit.
std::string read_input_file(const std::string& path, const std::string& name, const InputFileLimits& limits);

// The default limit on pattern files: their parsed form takes up to 20 times their size
// (measured on explicit lists of small numbers), and it must fit in usable_memory_bytes().
std::uint64_t default_max_input_bytes();

}  // namespace sparsecert
