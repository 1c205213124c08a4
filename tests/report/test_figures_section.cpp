// The report's experiment figures (report/figures_section.h): a figures.json written by the
// experiment scripts' helper (scripts/figures.py, the real writer) is drawn chart by chart;
// every malformed field is refused with a DataError naming the file and the field, before any
// HTML is written.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "localist/core/errors.h"
#include "localist/core/temp_dir.h"
#include "localist/report/figures_section.h"
#include "localist/report/html_report.h"
#include "occurrences.h"

namespace localist {
namespace {

namespace fs = std::filesystem;

using testing::occurrences;

TEST(FiguresSection, DrawsWhatTheScriptsHelperWrote) {
  TempDir tmp("figures");
  // NaN and None become null (skipped), alpha 0 has no place on the log axis.
  const std::string py =
      "import sys; sys.path.insert(0, '" LOCALIST_SOURCE_DIR "/scripts'); "
      "from figures import chart, series, write_figures; "
      "write_figures(sys.argv[1], 'Sweep <a>', 'made by a test & its caption', ["
      "chart('fidelity', 'alpha', 'block fidelity', [series('measured', [0, 0.01, 1, 100], [0.5, 0.7, float('nan'), 1.0]),"
      " series('predicted', [1e5, 1e5], [0, 1])], log_x=True),"
      "chart('ppl', 'alpha', 'perplexity', [series('measured', [1, 2], [7.3, None])], log_y=True)])";
  const std::string cmd = std::string(LOCALIST_PYTHON) + " -c \"" + py + "\" " + tmp.path() + " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_EQ(report_dir_kind(tmp.path()), "figures");
  const auto f = read_figures(tmp.path());
  ASSERT_EQ(f.charts.size(), 2u);
  EXPECT_TRUE(f.charts[0].log_x);
  EXPECT_FALSE(f.charts[0].log_y);
  EXPECT_TRUE(f.charts[1].log_y);
  ASSERT_EQ(f.charts[0].series.size(), 2u);
  EXPECT_TRUE(std::isnan(f.charts[0].series[0].y[2]));
  EXPECT_TRUE(std::isnan(f.charts[1].series[0].y[1]));
  ReportOptions o;
  o.dirs = {tmp.path()};
  const auto html = build_report(o);
  EXPECT_NE(html.find("<h2>Sweep &lt;a&gt;</h2>"), std::string::npos);
  EXPECT_NE(html.find("made by a test &amp; its caption"), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg class=\"chart\""), 2);
  // chart 1: alpha 0 (log x) and the NaN skipped, 2 + 2 points; chart 2: the null skipped
  EXPECT_EQ(occurrences(html, "<circle"), 5);
  EXPECT_NE(html.find("1 experiment(s) with figures"), std::string::npos);
}

TEST(FiguresSection, RefusesMalformedFieldsNamingThem) {
  TempDir tmp("figures");
  const auto out = tmp.file("r.html");
  const std::string ok_series = R"({"label": "s", "x": [1, 2], "y": [3, 4]})";
  const std::pair<std::string, std::string> cases[] = {
      {"[1, 2]", "is not a JSON object"},
      {"{\"charts\": [", "is not valid JSON"},
      {"{}", "the document.charts is missing or not an array"},
      {R"({"charts": [3]})", "charts[0] is not an object"},
      {R"({"charts": [{"series": [{"x": [1], "y": [1, 2]}]}]})", "charts[0].series[0] has 1 x and 2 y values"},
      {R"({"charts": [{"series": [{"x": [1], "y": ["one"]}]}]})", "charts[0].series[0].y holds \"one\", not a number"},
      {R"({"charts": [{"log_x": "yes", "series": []}]})", "charts[0].log_x is not true or false"},
      {R"({"title": 7, "charts": []})", "the document.title is not a string"},
      {R"({"charts": [{"series": [)" + ok_series + "," + ok_series + "]}, {\"title\": [], \"series\": []}]}",
       "charts[1].title is not a string"},
  };
  for (const auto& [text, message] : cases) {
    fs::create_directories(tmp.file("bad"));
    tmp.write("bad/figures.json", text);
    ReportOptions o;
    o.dirs = {tmp.file("bad")};
    try {
      write_report(o, out);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const DataError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(tmp.file("bad/figures.json")), std::string::npos) << what;
      EXPECT_NE(what.find(message), std::string::npos) << text << " -> " << what;
    }
    EXPECT_FALSE(fs::exists(out));
  }
}

}  // namespace
}  // namespace localist
