#!/usr/bin/env bash
# Uses sparsecert the way another project would (ctest runs it; CMakeLists.txt registers each mode):
#   find_package  install the build tree into a fresh prefix, build examples/library against it
#                 with find_package(sparsecert), run it
#   pkg-config    the same example compiled with `pkg-config --cflags --libs sparsecert`
#   fetchcontent  examples/library with sparsecert's source tree built inside it (FetchContent)
#   tools         the installed programs: --version, the installed catalogue, standard input,
#                 and a moved install tree
# usage: consumer.sh MODE SOURCE_DIR BUILD_DIR WORK_DIR VERSION CXX [LAUNCHER]
set -euo pipefail
mode=$1 src=$2 build=$3 work=$4 version=$5 cxx=$6 launcher=${7:-}
expected="my window + global: universal (yun2020)"
prefix=$work/prefix

fail() { echo "consumer.sh $mode: $*" >&2; exit 1; }
install_tree() {
  rm -rf "$prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null
}
run_example() {  # run_example PROGRAM: runs it in a fresh directory and checks its output
  local dir=$work/run
  rm -rf "$dir" && mkdir -p "$dir"
  local out
  out=$(cd "$dir" && "$1") || fail "$1 exited with status $?"
  [[ "$out" == "$expected" ]] || fail "printed '$out', expected '$expected'"
  [[ -s "$dir/mine.cert.json" ]] || fail "wrote no certificate"
  echo "$out"
}
cmake_example() {  # cmake_example BUILD_DIR ARGS...: configures and builds examples/library
  local dir=$1; shift
  local args=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release)
  [[ -n "$launcher" ]] && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
  cmake -S "$src/examples/library" -B "$dir" "${args[@]}" "$@" >/dev/null
  cmake --build "$dir" -j 2 >/dev/null
}

mkdir -p "$work"
case $mode in
  find_package)
    install_tree
    rm -rf "$work/build"
    cmake_example "$work/build" -DCMAKE_PREFIX_PATH="$prefix"
    run_example "$work/build/example"
    ;;
  pkg-config)
    install_tree
    flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs sparsecert)
    [[ "$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion sparsecert)" == "$version" ]] ||
      fail "pkg-config --modversion is not the project's version"
    # shellcheck disable=SC2086
    $launcher "$cxx" -std=c++20 -O1 "$src/examples/library/main.cpp" $flags -o "$work/example"
    run_example "$work/example"
    ;;
  fetchcontent)
    # The build directory is kept between runs: only what changed is rebuilt.
    cmake_example "$work/build" -DSPARSECERT_SOURCE="$src"
    run_example "$work/build/example"
    # Included, sparsecert builds neither its tests (no Catch2 needed) nor, asked so, its programs.
    ! grep -q "sparsecert_tests\|verify-pattern" "$work/build/Makefile" "$work/build/_deps/sparsecert-build/Makefile" ||
      fail "the included build has test or program targets"
    ;;
  tools)
    install_tree
    for tool in verify-pattern check-certificate export-pattern sparsecert; do
      [[ -x "$prefix/bin/$tool" ]] || fail "$tool is not installed"
      line=$("$prefix/bin/$tool" --version)
      [[ "$line" == *" $version" ]] || fail "$tool --version printed '$line'"
    done
    [[ -f "$prefix/share/sparsecert/theorems/yun2020.json" ]] || fail "the theorem registry is not installed"
    # With no argument the installed verify-pattern verifies the installed catalogue (exit 1: the
    # catalogue has patterns that fail on purpose), wherever the tree is, and never the source tree.
    moved=$work/moved
    rm -rf "$moved" && mv "$prefix" "$moved"
    status=0
    out=$(cd / && env -u SPARSECERT_PATTERNS "$moved/bin/verify-pattern") || status=$?
    [[ $status == 1 ]] || fail "verify-pattern with no argument exited with $status"
    count=$(ls "$moved/share/sparsecert/patterns/"*.json | wc -l)
    rows=$(grep -c '\.json ' <<<"$out") || true
    [[ $rows == "$count" ]] || fail "the table has $rows rows for $count catalogue files"
    out=$(env -u SPARSECERT_PATTERNS "$moved/bin/sparsecert" verify --n 16 - <"$moved/share/sparsecert/patterns/star.json")
    [[ "$out" == "<stdin>: star (n = 16, p = 1)"* ]] || fail "sparsecert verify - printed '${out%%$'\n'*}'"
    "$moved/bin/verify-pattern" --n 16 --certificate "$work/star.cert.json" - <"$moved/share/sparsecert/patterns/star.json" >/dev/null
    "$moved/bin/sparsecert" check --n 16 "$moved/share/sparsecert/patterns/star.json" "$work/star.cert.json" >/dev/null ||
      fail "sparsecert check did not confirm the certificate"
    echo "installed tools: --version, catalogue of $count files, standard input, sparsecert check"
    ;;
  *) fail "unknown mode" ;;
esac
