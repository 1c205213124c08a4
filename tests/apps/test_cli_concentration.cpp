// `localist concentration` from the command line (docs/theory.md): the JSON it prints equals
// the file it writes, the table's settings are the ones asked for, the report draws the curve,
// and bad input is one error line with nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_run.h"

namespace localist {
namespace {

namespace fs = std::filesystem;
using testing::cli_tmp;
using testing::run_cli;

// CLI11 refuses an option given twice: each test adds --max-steps itself.
const std::string kRun = "--n-layer 1 --n-head 2 --n-embd 32 --context 32 --batch-size 8 --eval-tokens 300 "
                         "--synth-tokens 5000 --blocks segment --lambda 0 --device cpu";

TEST(CliConcentration, JsonTableFileAndReportAgree) {
  const auto run = cli_tmp("conc_run"), out = cli_tmp("conc_out");
  ASSERT_EQ(run_cli("train " + kRun + " --max-steps 150 --eval-interval 150 --out " + run).code, 0);
  auto r = run_cli("concentration " + run + " --split valid --max-tokens 400 --kappas 0,8,16,24 "
                   "--temperatures 1,2 --percentile 5 --device cpu --json --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  std::ifstream file(out + "/concentration.json");
  const auto written = nlohmann::json::parse(file);
  EXPECT_EQ(written["points"], j["points"]);
  ASSERT_EQ(j["points"].size(), 8u);  // 2 temperatures x 4 kappas, in that order
  EXPECT_EQ(j["points"][5]["tau"], 2.0);
  EXPECT_EQ(j["points"][5]["kappa"], 8.0);
  for (const auto& p : j["points"]) {
    EXPECT_GE(p["off_mass_mean"].get<double>(), 0.0);
    EXPECT_LE(p["off_mass_mean"].get<double>(), 1.0);
    EXPECT_LE(p["margin_min"].get<double>(), p["margin_uniform"].get<double>());
    EXPECT_LE(p["margin_uniform"].get<double>(), p["margin_median"].get<double>());
  }
  // tau 2 halves the model's own margins (one layer: exactly, up to float rounding)
  EXPECT_NEAR(j["points"][4]["model_margin_median"].get<double>(),
              j["points"][0]["model_margin_median"].get<double>() / 2, 1e-4);
  EXPECT_TRUE(fs::exists(out + "/concentration.md"));

  const auto html = cli_tmp("conc_report.html");
  auto rep = run_cli("report " + out + " --out " + html);
  ASSERT_EQ(rep.code, 0) << rep.output;
  std::ifstream in(html);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("Lemma 1: off-target mass against the margin"), std::string::npos);
  EXPECT_NE(page.find("Off-target mass against δ/τ: conc_out"), std::string::npos);
  EXPECT_NE(page.find("1 concentration curve(s)"), std::string::npos);
}

TEST(CliConcentration, BadInputIsOneErrorLineAndWritesNothing) {
  const auto run = cli_tmp("conc_bad_run");
  ASSERT_EQ(run_cli("train " + kRun + " --max-steps 2 --eval-interval 2 --out " + run).code, 0);
  const auto out = cli_tmp("conc_bad_out");
  const std::pair<const char*, const char*> cases[] = {
      {"--kappas 0,-1", "kappas = '0,-1': -1.0 is outside [0, inf)"},
      {"--kappas inf", "kappas = 'inf'"},
      {"--temperatures 0", "temperatures = '0': 0.0 is outside"},
      {"--percentile 60", "percentile = 60"},
      {"--max-tokens -1", "--max-tokens = -1 is impossible"},
  };
  for (const auto& [args, message] : cases) {
    auto r = run_cli("concentration " + run + " --device cpu --out " + out + " " + args);
    EXPECT_NE(r.code, 0) << args;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_FALSE(fs::exists(out + "/concentration.json")) << args;
  }
  const auto corrupt = cli_tmp("conc_corrupt");
  fs::create_directories(corrupt);
  std::ofstream(corrupt + "/concentration.json") << "{\"points\": 3}";
  auto r = run_cli("report " + corrupt + " --out " + cli_tmp("conc_corrupt.html"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("has no `points` array"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(cli_tmp("conc_corrupt.html")));
}

}  // namespace
}  // namespace localist
