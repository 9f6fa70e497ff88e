// Errors in user input (pattern files, command-line values). The tools print them as one line,
// "FILE: PLACE: PROBLEM", and exit with status 2.
#pragma once

#include <stdexcept>
#include <string>

#include "sparsecert/support/printable.hpp"

namespace sparsecert {

class InputError : public std::runtime_error {
public:
    // file: the input's path; place: where in it, as a JSON path such as "layers[1].attend[17]"
    // (empty when the problem concerns the whole file); problem: what is wrong.
    InputError(std::string file, std::string place, std::string problem)
        : std::runtime_error(format(file, place, problem)),
          file_(std::move(file)), place_(std::move(place)), problem_(std::move(problem)) {}

    const std::string& file() const noexcept { return file_; }
    const std::string& place() const noexcept { return place_; }
    const std::string& problem() const noexcept { return problem_; }

private:
    static std::string format(const std::string& file, const std::string& place,
                              const std::string& problem) {
        std::string line = file;
        if (!place.empty()) line += ": " + place;
        line += ": " + problem;
        // One line, always, that cannot drive the terminal: control characters from the input
        // (a key, a file name) are escaped.
        return printable(line);
    }
    std::string file_, place_, problem_;
};

}  // namespace sparsecert
