// sparsecert report (docs/report.md): the model's numbers, the three files, their well-formedness, a
// headless-browser rendering, determinism, the connection cap and bad input. Small sizes keep it fast.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "sparsecert/pattern/catalogue.hpp"
#include "sparsecert/report/plot.hpp"
#include "sparsecert/report/report.hpp"
#include "sparsecert/report/svg.hpp"
#include "sparsecert/certify/theorems.hpp"

using sparsecert::testing::run_tool;
using sparsecert::testing::slurp;
using sparsecert::testing::source_path;
using sparsecert::testing::temp_dir;
using sparsecert::testing::write_temp;
namespace fs = std::filesystem;

namespace {

std::size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// A fresh output directory for one run.
std::string out_dir(const std::string& name) {
    const std::string dir = temp_dir() + "/" + name;
    fs::remove_all(dir);
    return dir;
}

// The catalogue at n = 16 and 64 (--construct-n 4 keeps the construction part short; bigbird has
// no pattern at n = 4, which exercises that path too).
std::string run_small_report(const std::string& name, const std::string& extra = "") {
    const std::string dir = out_dir(name);
    auto r = run_tool("sparsecert", "report --sizes 16,64 --construct-n 4 --out " + dir + " " + extra);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    REQUIRE(r.err.empty());
    REQUIRE(r.out.find(dir + "/report.html") != std::string::npos);
    return dir;
}

// Runs a python3 script (python3 is a declared dependency) with arguments; returns its exit status
// and puts what it printed into `output`.
int run_python(const std::string& script_name, const std::string& script, const std::string& args, std::string& output) {
    const std::string file = write_temp(script_name, script);
    const std::string log = temp_dir() + "/" + script_name + ".log";
    const int raw = std::system(("python3 " + file + " " + args + " >" + log + " 2>&1").c_str());
    output = slurp(log);
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// Well-formedness of report.html: every non-void element closed in order (html.parser), no script,
// no reference to the network except the SVG namespace; every inline <svg> and every file in
// figures/ parses as XML (xml.etree).
const char* const html_check = R"PY(
import glob, html.parser, re, sys, xml.etree.ElementTree as ET
path, figures = sys.argv[1], sys.argv[2]
text = open(path, encoding='utf-8').read()
VOID = {'area','base','br','col','embed','hr','img','input','link','meta','source','track','wbr'}
class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True); self.stack = []; self.errors = []; self.count = 0
    def handle_starttag(self, tag, attrs):
        self.count += 1
        if tag == 'script': self.errors.append('script element')
        if tag not in VOID: self.stack.append(tag)
    def handle_startendtag(self, tag, attrs): self.count += 1
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append('unbalanced </%s> (open: %s)' % (tag, self.stack[-3:])); return
        self.stack.pop()
c = Check(); c.feed(text); c.close()
if c.stack: c.errors.append('unclosed: %s' % c.stack)
urls = [u for u in re.findall(r'(?:https?:)?//[^\s"<>]+', text) if u != '//www.w3.org/2000/svg' and u != 'http://www.w3.org/2000/svg']
if urls: c.errors.append('network references: %s' % urls[:3])
svgs = re.findall(r'<svg\b.*?</svg>', text, flags=re.S)
for i, s in enumerate(svgs):
    try: ET.fromstring(s)
    except ET.ParseError as e: c.errors.append('inline svg %d: %s' % (i, e))
files = sorted(glob.glob(figures + '/*.svg'))
for f in files:
    try:
        root = ET.parse(f).getroot()
        if root.tag != '{http://www.w3.org/2000/svg}svg': c.errors.append(f + ': root is ' + root.tag)
    except ET.ParseError as e: c.errors.append('%s: %s' % (f, e))
if len(svgs) != len(files): c.errors.append('%d inline svgs, %d figure files' % (len(svgs), len(files)))
print('elements %d, inline svgs %d, figure files %d' % (c.count, len(svgs), len(files)))
for e in c.errors: print('ERROR', e)
sys.exit(1 if c.errors else 0)
)PY";

// Decodes a PNG (zlib and the five PNG filters) and checks it is not blank: many distinct colours
// and a good share of non-white pixels.
const char* const png_check = R"PY(
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat = 8, b''
while pos < len(data):
    n, = struct.unpack('>I', data[pos:pos+4]); kind = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]; pos += 12 + n
    if kind == b'IHDR': w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
    elif kind == b'IDAT': idat += body
assert depth == 8 and interlace == 0, 'unsupported PNG'
bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); i = 0
colours, nonwhite = set(), 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
    for x in range(stride):
        a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, w, 2):
            px = bytes(line[x*bpp:x*bpp+min(bpp, 3)]); colours.add(px)
            if px != b'\xff' * len(px): nonwhite += 1
    prev = line
sampled = ((h + 3) // 4) * ((w + 1) // 2)
print('%dx%d, %d distinct colours, %.1f%% non-white' % (w, h, len(colours), 100.0 * nonwhite / sampled))
sys.exit(0 if len(colours) >= 16 and nonwhite > 0.05 * sampled else 1)
)PY";

std::vector<std::string> catalogue_names() {
    std::vector<std::string> names;
    for (const auto& f : sparsecert::catalogue_files(sparsecert::catalogue_directory()))
        names.push_back(fs::path(f).filename().string());
    return names;
}

const nlohmann::json* find_cell(const nlohmann::json& doc, const std::string& file, std::uint64_t n) {
    for (const auto& p : doc.at("patterns"))
        if (p.at("file") == file)
            for (const auto& c : p.at("cells"))
                if (c.at("n") == n) return &c;
    return nullptr;
}

std::string failures_text(const nlohmann::json& cell) {
    std::string all;
    for (const auto& f : cell.at("failures"))
        all += f.at("theorem").get<std::string>() + ": " + f.at("check").get<std::string>() + ": " +
               f.at("certificate").get<std::string>() + "\n";
    return all;
}

}  // namespace

TEST_CASE("report model: growth exponent, exact depth, short integers", "[report]") {
    using namespace sparsecert;
    // Exact power laws give their exponent; the fit is least squares over all sizes.
    CHECK(fit_growth_exponent({{64, 64 * 64}, {256, 256 * 256}, {1024, 1024 * 1024}}).value() == Approx(2.0));
    CHECK(fit_growth_exponent({{64, 5 * 64}, {256, 5 * 256}}).value() == Approx(1.0));
    CHECK(fit_growth_exponent({{64, 512}, {256, 4096}, {1024, 32768}}).value() == Approx(1.5));
    CHECK_FALSE(fit_growth_exponent({{64, 100}}).has_value());
    CHECK_FALSE(fit_growth_exponent({{64, 0}, {256, 10}}).has_value());

    // p(n-1) delta^{-d} + s (docs/theory.md section 4): small exact, and far beyond 64 bits.
    CHECK(contextual_mapping_depth(2, 8, 1, 2, 2) == "30");
    CHECK(contextual_mapping_depth(1, 2, 3, 10, 5) == "1005");
    CHECK(contextual_mapping_depth(1, 2, 40, 10, 0) == "1" + std::string(40, '0'));
    CHECK(contextual_mapping_depth(3, 65536, 64, 1000, 7) == "196605" + std::string(191, '0') + "7");
    CHECK(short_integer("123456") == "123456");
    CHECK(short_integer("1" + std::string(40, '0')) == "1.00e40");
    CHECK(short_integer("98765" + std::string(30, '1')) == "9.87e34");  // truncated, not rounded
    CHECK(approximate_count(4294967296.0) == "4.3e9");
    CHECK(approximate_count(1234.0) == "1234");
}

TEST_CASE("report pictures: escaping and heatmap cells", "[report]") {
    using namespace sparsecert;
    CHECK(svg::escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    CHECK(svg::num(1.0) == "1");
    CHECK(svg::num(2.50) == "2.5");
    CHECK(svg::num(-0.001) == "0");
    // A 3-token pattern where token 1 misses itself: two runs, and one red outline on the diagonal.
    Pattern p;
    p.name = "x";
    p.n = 3;
    p.layers.push_back(layer_from_rows({{0, 1}, {0}, {1, 2}}));
    const std::string s = plot::mask_heatmap(p, "x <&>");
    CHECK(s.find("x &lt;&amp;&gt;") != std::string::npos);
    CHECK(s.find("stroke=\"#d62728\"") != std::string::npos);
    CHECK(s == plot::mask_heatmap(p, "x <&>"));
}

TEST_CASE("report: the JSON holds every catalogue pattern and size", "[report]") {
    const std::string dir = run_small_report("report-json");
    const auto doc = nlohmann::json::parse(slurp(dir + "/report.json"));
    CHECK(doc.at("format") == "sparsecert-report/1");
    CHECK(doc.at("settings").at("sizes") == nlohmann::json::array({16, 64}));
    CHECK_FALSE(doc.contains("times"));
    const auto names = catalogue_names();
    REQUIRE(doc.at("patterns").size() == names.size());
    const auto registry = sparsecert::theorem_registry();
    const std::string md = slurp(dir + "/report.md"), html = slurp(dir + "/report.html");
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto& p = doc.at("patterns")[i];
        INFO(names[i]);
        CHECK(p.at("file") == names[i]);
        REQUIRE(p.at("cells").size() == 2);
        CHECK(p.at("growth_exponent").is_number());
        CHECK(p.at("heatmap").is_string());
        CHECK(fs::exists(dir + "/" + p.at("heatmap").get<std::string>()));
        for (std::uint64_t n : {16, 64}) {
            const auto* c = find_cell(doc, names[i], n);
            REQUIRE(c != nullptr);
            CHECK(c->at("status") == "verified");
            CHECK(c->at("connections_total").get<std::uint64_t>() > 0);
            CHECK(c->at("theorems").size() == registry.size());
            CHECK(c->at("verdict").is_string());
            // Every theorem that does not apply has a failure line with its certificate summary.
            std::size_t not_applying = 0;
            for (const auto& t : c->at("theorems")) not_applying += t.at("applies") != true;
            CHECK(c->at("failures").size() == not_applying);
        }
        const std::string stem = names[i].substr(0, names[i].size() - 5);
        CHECK(md.find("| " + stem + " | 64 |") != std::string::npos);
        CHECK(html.find("<td>" + stem + "</td>") != std::string::npos);
        CHECK(p.contains("construction"));
    }

    // Numbers that the theory fixes (docs/theory.md section 6).
    const auto* dense = find_cell(doc, "dense.json", 64);
    CHECK(dense->at("connections_total") == 64 * 64);
    CHECK(dense->at("conditions").at("reachability").at("s") == 1);
    CHECK(dense->at("depth") == "127");  // p(n-1) 2^1 + s = 63 * 2 + 1
    const auto* sliding = find_cell(doc, "sliding-window.json", 64);
    CHECK(sliding->at("conditions").at("reachability").at("s") == 32);  // ceil((n-1)/2)
    for (const auto& p : doc.at("patterns")) {
        if (p.at("file") == "dense.json") CHECK(p.at("growth_exponent") == Approx(2.0));
        if (p.at("file") == "strided.json") CHECK(p.at("growth_exponent").get<double>() == Approx(1.5).margin(0.1));
        if (p.at("file") == "star.json") CHECK(p.at("growth_exponent").get<double>() == Approx(1.0).margin(0.1));
    }

    // Failures carry their certificate summaries.
    CHECK_THAT(failures_text(*find_cell(doc, "causal-window.json", 16)),
               Catch::Contains("influence: closure set of 1 token (k=0, j=1)"));
    CHECK_THAT(failures_text(*find_cell(doc, "global-tokens.json", 16)),
               Catch::Contains("yun2020: hamiltonian_path: hall set {1, 2, 3}"));
    CHECK_THAT(failures_text(*find_cell(doc, "dilated-window.json", 64)),
               Catch::Contains("hamiltonian_path: component order gap 0"));
    CHECK_THAT(failures_text(*find_cell(doc, "xformers-global.json", 16)),
               Catch::Contains("self_attention: 15 missing (pattern, token) pairs, first (0, 1)"));
    CHECK(find_cell(doc, "xformers-global.json", 16)->at("verdict") == "open");

    // The construction at n = 4: verified where Assumption 1 holds, a reason otherwise.
    for (const auto& p : doc.at("patterns")) {
        const auto& c = p.at("construction");
        CHECK(c.at("n") == 4);
        if (p.at("file") == "dense.json") {
            CHECK(c.at("applies") == true);
            CHECK(c.at("holds") == true);
            CHECK(c.at("exhaustive") == true);
            CHECK(c.at("layers").at("formula") == 1 * 3 * 2 + 1);
        }
        if (p.at("file") == "causal-window.json") {
            CHECK(c.at("applies") == false);
            CHECK_THAT(c.at("reason").get<std::string>(), Catch::Contains("condition 3"));
        }
        if (p.at("file") == "bigbird.json") CHECK_THAT(c.at("reason").get<std::string>(), Catch::Contains("no pattern at n = 4"));
    }
}

TEST_CASE("report: the HTML parses and every SVG is well formed", "[report]") {
    const std::string dir = run_small_report("report-html");
    std::string output;
    const int status = run_python("check_report_html.py", html_check, dir + "/report.html " + dir + "/figures", output);
    INFO(output);
    CHECK(status == 0);
    // One heatmap per pattern, the two plots.
    CHECK(output.find("figure files " + std::to_string(catalogue_names().size() + 2)) != std::string::npos);
}

TEST_CASE("report: report.html renders in headless Chromium", "[report][slow]") {
    if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
        WARN("chromium is not installed: the rendering test is skipped (tools/install-deps.sh --tests installs it)");
        return;
    }
    const std::string dir = run_small_report("report-render");
    const std::string png = dir + "/screenshot.png";
    const std::string cmd = "chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot=" + png +
                            " --window-size=1280,2000 file://" + fs::absolute(dir + "/report.html").string() + " >" + dir +
                            "/chromium.log 2>&1";
    const int raw = std::system(cmd.c_str());
    INFO("chromium log: " << slurp(dir + "/chromium.log"));
    CHECK(WIFEXITED(raw));
    REQUIRE(fs::exists(png));
    std::string output;
    const int status = run_python("check_png.py", png_check, png, output);
    INFO(output);
    CHECK(status == 0);
}

TEST_CASE("report: same inputs, same bytes, times only on request", "[report]") {
    const std::string a = run_small_report("report-det-a"), b = run_small_report("report-det-b");
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(a))
        if (e.is_regular_file()) files.push_back(fs::relative(e.path(), a).string());
    std::sort(files.begin(), files.end());
    CHECK(files.size() == 3 + catalogue_names().size() + 2);
    for (const auto& f : files) {
        INFO(f);
        CHECK(slurp(a + "/" + f) == slurp(b + "/" + f));
    }

    const std::string t = run_small_report("report-times", "--times");
    const auto doc = nlohmann::json::parse(slurp(t + "/report.json"));
    REQUIRE(doc.contains("times"));
    CHECK(doc.at("times").at("verify").size() == 2 * catalogue_names().size());
    CHECK(slurp(t + "/report.md").find("| time |") != std::string::npos);
    // Without the times the document is the reproducible one.
    auto without = doc;
    without.erase("times");
    CHECK(without == nlohmann::json::parse(slurp(a + "/report.json")));
}

TEST_CASE("report: the connection cap skips cells without building them", "[report]") {
    const std::string patterns = temp_dir() + "/report-cap-patterns";
    fs::create_directories(patterns);
    for (const char* f : {"dense.json", "sliding-window.json"})
        fs::copy_file(source_path(std::string("patterns/") + f), patterns + "/" + f, fs::copy_options::overwrite_existing);
    const std::string dir = out_dir("report-cap");
    // dense at 2048 has 4.2e6 connections: predicted from the probes 512 and 128 and never built;
    // dense at 256 (below the probe size) is built and counted exactly, then skipped.
    auto r = run_tool("sparsecert", "report --patterns " + patterns + " --sizes 256,2048 --max-connections 50000 "
                                    "--heatmap-n 0 --construct-n 0 --out " + dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto doc = nlohmann::json::parse(slurp(dir + "/report.json"));
    const auto* d256 = find_cell(doc, "dense.json", 256);
    CHECK(d256->at("status") == "skipped");
    CHECK(d256->at("connections_total") == 65536);
    CHECK_THAT(d256->at("note").get<std::string>(), Catch::Contains("65536 connections, more than the cap of 50000"));
    const auto* d2048 = find_cell(doc, "dense.json", 2048);
    CHECK(d2048->at("status") == "skipped");
    CHECK_FALSE(d2048->contains("connections"));
    CHECK(d2048->at("predicted_connections") == 2048.0 * 2048.0);
    CHECK_THAT(d2048->at("note").get<std::string>(), Catch::Contains("about 4.2e6 connections predicted"));
    CHECK(find_cell(doc, "sliding-window.json", 2048)->at("status") == "verified");
    CHECK(doc.at("patterns")[0].at("heatmap").is_null());
    CHECK_FALSE(doc.at("patterns")[0].contains("construction"));
    CHECK_THAT(slurp(dir + "/report.md"), Catch::Contains("~4.2e6 (predicted)"));
}

TEST_CASE("report: files that fix n, and sizes a file gives no pattern at", "[report]") {
    const std::string patterns = temp_dir() + "/report-fixed-patterns";
    fs::create_directories(patterns);
    fs::copy_file(source_path("tests/data/one-direction.json"), patterns + "/one-direction.json",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(source_path("patterns/bigbird.json"), patterns + "/bigbird.json", fs::copy_options::overwrite_existing);
    const std::string dir = out_dir("report-fixed");
    auto r = run_tool("sparsecert", "report --patterns " + patterns + " --sizes 4,16 --out " + dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const auto doc = nlohmann::json::parse(slurp(dir + "/report.json"));
    // BigBird's block min(64, n/5) is 0 at n = 4: that cell names the problem, n = 16 is verified.
    const auto* b4 = find_cell(doc, "bigbird.json", 4);
    CHECK(b4->at("status") == "not-instantiable");
    CHECK_THAT(b4->at("note").get<std::string>(), Catch::Contains("block"));
    CHECK(find_cell(doc, "bigbird.json", 16)->at("status") == "verified");
    // The glance grid has a column for every n in the report: 4, 5 (the fixed file), 16.
    CHECK_THAT(slurp(dir + "/report.md"), Catch::Contains("| bigbird | n/a |  | universal, s=1 |"));
    const auto& p = doc.at("patterns")[1];
    REQUIRE(p.at("file") == "one-direction.json");
    CHECK(p.at("fixed_n") == 5);
    REQUIRE(p.at("cells").size() == 1);
    CHECK(p.at("cells")[0].at("n") == 5);
    CHECK(p.at("cells")[0].at("verdict") == "not-universal");
    CHECK(p.at("growth_exponent").is_null());
    CHECK(p.at("heatmap").is_string());
    CHECK(p.at("construction").at("applies") == false);
}

TEST_CASE("report: bad input gives one line and exit status 2", "[report]") {
    const std::string dir = out_dir("report-bad");
    auto expect_bad = [&](const std::string& args, const std::string& text) {
        auto r = run_tool("sparsecert", "report --out " + dir + " " + args);
        INFO("args: " << args << "\nstderr: " << r.err);
        CHECK(r.status == 2);
        CHECK(r.out.empty());
        CHECK(lines(r.err) == 1);
        CHECK(r.err.find(text) != std::string::npos);
    };
    expect_bad("--sizes 16,abc", "--sizes: expected comma-separated numbers of tokens, got 'abc'");
    expect_bad("--sizes 0", "--sizes: 0 is not a valid number of tokens");
    expect_bad("--delta 2", "--delta: expected 1/M with an integer M >= 2, got '2'");
    expect_bad("--d 0", "--d: must be an integer");
    expect_bad("--heatmap-n 1000", "--heatmap-n: must be in 0..256");
    expect_bad("--patterns /nonexistent/dir", "/nonexistent/dir: not a directory of pattern files");
    expect_bad("--no-such-option", "sparsecert report:");

    const std::string patterns = temp_dir() + "/report-bad-patterns";
    fs::create_directories(patterns);
    const std::string file = patterns + "/broken.json";
    std::ofstream(file) << "{\"name\": \"x\",\n \"layers\": [}\n";
    expect_bad("--patterns " + patterns + " --sizes 16", file + ": line 2");
    std::ofstream(file, std::ios::trunc) << R"({"name": "x", "layers": [{"no_such_family": {}}]})";
    expect_bad("--patterns " + patterns + " --sizes 16", file + ": layers[0]");
    // Above the probe size too: the probes reveal the problem, nothing is skipped silently.
    expect_bad("--patterns " + patterns + " --sizes 65536", file + ": layers[0]");
    CHECK_FALSE(fs::exists(dir + "/report.json"));  // bad input leaves nothing behind
}
