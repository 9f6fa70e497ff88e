// Strong components through Boost.Graph (components.hpp).
#include "sparsecert/conditions/components.hpp"

#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <utility>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/strong_components.hpp>

namespace sparsecert {

namespace {

// (source, target) pairs of the out-lists in CSR order, for Boost's sorted-edge constructor
// (which reads ei->first / ei->second).
class EdgePairIterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<token_t, token_t>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    EdgePairIterator(const Layer& out, std::uint64_t edge) : out_(&out), edge_(edge) { settle(); }
    reference operator*() const { return current_; }
    pointer operator->() const { return &current_; }
    EdgePairIterator& operator++() {
        ++edge_;
        settle();
        return *this;
    }
    EdgePairIterator operator++(int) {
        EdgePairIterator old = *this;
        ++*this;
        return old;
    }
    friend bool operator==(const EdgePairIterator& a, const EdgePairIterator& b) {
        return a.edge_ == b.edge_;
    }

private:
    void settle() {
        const auto offsets = out_->token_offsets();
        const token_t n = out_->size();
        while (source_ < n && offsets[std::size_t(source_) + 1] <= edge_) ++source_;
        if (edge_ < out_->connections()) current_ = {source_, out_->token_targets()[edge_]};
    }
    const Layer* out_;
    std::uint64_t edge_;
    token_t source_ = 0;
    value_type current_{};
};


}  // namespace

Components strong_components(const Layer& out) {
    if (!out.is_explicit()) throw std::logic_error("strong_components needs explicit rows (a union graph)");
    using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property,
                                                   boost::no_property, boost::no_property, token_t,
                                                   std::uint64_t>;
    const token_t n = out.size();
    std::vector<std::uint32_t> component(n);
    Components c;
    {
        const Csr csr(boost::edges_are_sorted, EdgePairIterator(out, 0),
                      EdgePairIterator(out, out.connections()), n, out.connections());
        c.count = std::uint32_t(boost::strong_components(
            csr, boost::make_iterator_property_map(component.begin(),
                                                   boost::get(boost::vertex_index, csr))));
    }
    // Tarjan numbers components as they complete, i.e. in reverse topological order.
    c.label.resize(n);
    for (token_t v = 0; v < n; ++v) c.label[v] = c.count - 1 - component[v];
    return c;
}

}  // namespace sparsecert
