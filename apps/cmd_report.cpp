// localist report: one self-contained HTML page (inline SVG, no scripts, no network) from sweep
// directories and training run directories: sweep curves against lambda, training curves,
// attention heatmaps per layer/head at chosen lambdas with block boundaries, and the block-mass
// matrix (docs/report.md).
#include <iostream>

#include "commands.h"
#include "opened_checkpoint.h"
#include "localist/core/device.h"
#include "localist/report/html_report.h"
#include "localist/report/sweep.h"

namespace localist::app {

namespace {
struct ReportArgs {
  std::vector<std::string> dirs;
  std::string out = "report.html", text, lambdas, device = "cpu";
  int64_t tokens = 48, threads = 0;
  LocalistConfig localist;  // overrides of each checkpoint's, when given
};
}  // namespace

void add_report(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report", "one self-contained HTML page: sweep curves, training curves, attention heatmaps "
                "with block boundaries and block mass");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("dirs", a->dirs, "sweep directories (sweep.json), concentration directories (concentration.json), experiment directories (figures.json) and run directories")->required();
  cmd->add_option("--out", a->out, "the HTML file to write (atomically)")->capture_default_str();
  cmd->add_option("--text", a->text,
                  "sample text for the heatmaps (default: the run's validation split)");
  cmd->add_option("--tokens", a->tokens, "heatmaps show the first N tokens of the sample (at most "
                                         "the context)")->capture_default_str();
  cmd->add_option("--lambdas", a->lambdas,
                  "heatmaps at these lambdas, a comma list or start:stop:step (default: 0 and the "
                  "checkpoint's own)");
  add_device_options(*cmd, a->device, a->threads);
  add_localist_options(*cmd, a->localist);
  cmd->callback([a, cmd] {
    set_threads(a->threads);
    ReportOptions o;
    o.dirs = a->dirs;
    o.text = a->text;
    o.tokens = a->tokens;
    o.device = a->device;
    if (!a->lambdas.empty()) o.lambdas = parse_lambdas(a->lambdas);
    o.localist = [a, cmd](const LocalistConfig& stored) {
      return localist_overrides(stored, *cmd, a->localist);
    };
    write_report(o, a->out);
    std::cout << "wrote " << a->out << "\n";
  });
}

}  // namespace localist::app
