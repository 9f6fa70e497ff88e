// Errors in user input (pattern files, command-line values). The tools print them as one line,
// "FILE: PLACE: PROBLEM", and exit with status 2.
#pragma once

#include <stdexcept>
#include <string>

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
        // One line, always: embedded newlines would break the contract of the tools.
        for (char& c : line)
            if (c == '\n' || c == '\r') c = ' ';
        return line;
    }
    std::string file_, place_, problem_;
};

}  // namespace sparsecert
