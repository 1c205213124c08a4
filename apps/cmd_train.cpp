// localist train: train a model (or --resume one) into a run directory.
#include "commands.h"
#include "localist/recruit/recruiter.h"
#include "localist/run/checkpoint.h"
#include "localist/train/trainer.h"

namespace localist::app {

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "train a causal transformer LM");
  auto req = std::make_shared<TrainRequest>();
  req->growth = recruiter_factory();
  req->run_dir = "runs/default";
  cmd->add_option("--out", req->run_dir, "run directory (checkpoint/, metrics.jsonl, tokens/)")
      ->capture_default_str();
  cmd->add_flag("--resume", req->resume,
                "continue the run in --out from its checkpoint (its configs are kept)");
  cmd->add_option("--init-from", req->init_from,
                  "start from this run's weights, model shape and tokenizer (fine-tune, e.g. a "
                  "specialist from its base model) and its blocks, rules and dial unless given; "
                  "model-shape options are then ignored")
      ->excludes("--resume");
  cmd->add_flag("--distributed", req->distributed,
                "data-parallel over c10d (Gloo), one process per device launched with RANK, WORLD_SIZE, "
                "MASTER_ADDR, MASTER_PORT set (torchrun --nproc-per-node N --no-python); --batch-size is per process");
  cmd->add_option("--stop-at", req->stop_at, "stop after this step with a checkpoint (0 = run to the end)");
  add_model_options(*cmd, req->model);
  add_data_options(*cmd, req->data);
  add_train_options(*cmd, req->train);
  add_localist_options(*cmd, req->localist);
  add_recruit_options(*cmd, req->recruit);
  cmd->callback([req, cmd] {
    // On resume only --max-steps may change the stored run; it extends or shortens it.
    if (req->resume && cmd->count("--max-steps")) req->max_steps_override = req->train.max_steps;
    // a specialist keeps its base's blocks, rules and dial unless the flags say otherwise
    if (!req->init_from.empty())
      req->localist = localist_overrides(read_checkpoint_meta(find_checkpoint_dir(req->init_from)).localist,
                                         *cmd, req->localist);
    train(*req);
  });
}

}  // namespace localist::app
