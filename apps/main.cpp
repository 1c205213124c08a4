// The `localist` command. Each subcommand lives in its own file (cmd_*.cpp); user mistakes
// are caught here, once, and printed as one line with a non-zero exit.
#include <iostream>
#include <new>

#include "commands.h"
#include "localist/core/errors.h"
#include "localist/core/version.h"

int main(int argc, char** argv) {
  CLI::App app{"localist: localist language models (train, evaluate, sample)"};
  app.require_subcommand(1);
  // localist, LibTorch and CUDA versions, and the GPUs this process sees
  app.set_version_flag("--version", [] { return localist::version_report(); });
  localist::app::add_train(app);
  localist::app::add_eval(app);
  localist::app::add_generate(app);
  localist::app::add_demo(app);
  localist::app::add_explain(app);
  localist::app::add_threshold(app);
  localist::app::add_concentration(app);
  localist::app::add_sweep(app);
  localist::app::add_report(app);
  localist::app::add_blocks(app);
  localist::app::add_hierarchy(app);
  localist::app::add_chat(app);
  localist::app::add_synth(app);
  localist::app::add_serve(app);
  localist::app::add_import_hf(app);
  localist::app::add_export_hf(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const localist::UserError& e) {
    std::cerr << "localist: error: " << e.spelled(localist::app::cli_flag) << "\n";
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "localist: error: " << e.what_without_backtrace() << "\n";
    return 3;
  } catch (const std::bad_alloc&) {
    std::cerr << "localist: error: out of memory\n";
    return 3;
  } catch (const std::exception& e) {  // not a user mistake: say so rather than abort
    std::cerr << "localist: internal error (please report): " << e.what() << "\n";
    return 4;
  }
  return 0;
}
