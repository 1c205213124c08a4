// localist hierarchy route: hard routing with the hierarchy's members spread over processes
// (hierarchy/distributed_router.h): member k lives on rank k % N, each segment's prefix is scored
// where the members live, the router decides, and the rank holding the chosen member scores
// the rest. Launched like distributed training, one process per device:
//   torchrun --nproc-per-node N --no-python localist hierarchy route DIR --domain NAME=FILE [--domain ...] [--json]
// Rank 0 prints per-domain routed perplexity, routing accuracy, and which rank scored what.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/hierarchy/distributed_router.h"
#include "localist/report/hierarchy_eval_json.h"
#include "localist/report/hierarchy_eval_text.h"

namespace localist::app {
namespace {

struct RouteArgs {
  std::string dir;
  std::vector<std::string> domains;
  int64_t segment_tokens = 128, max_segments = 200, prefix = -1;
  std::string device = "cpu";
  bool json = false;
};

void run_route(const RouteArgs& a) {
  const torch::Device device = resolve_device(a.device);
  Distributed dist(DistributedEnv::from_environment(), device);
  const int world = dist.world_size();
  auto h = load_hierarchy(a.dir, device, [&](size_t k) { return owner_rank(static_cast<int64_t>(k), world) == dist.rank(); });
  const auto domains = read_domains(a.domains, *h.models[0].tokenizer);
  const auto out = to_json(evaluate_across(dist, h, domains, a.segment_tokens, a.max_segments, a.prefix), a.dir);
  if (!dist.is_root()) return;
  if (a.json)
    std::cout << out.dump(2) << "\n";
  else
    print_distributed_eval(stdout, out);
}

}  // namespace

void add_hierarchy_route(CLI::App& hierarchy) {
  auto a = std::make_shared<RouteArgs>();
  auto* cmd = hierarchy.add_subcommand(
      "route", "hard routing with the members spread over processes (launch with torchrun --nproc-per-node N --no-python): "
               "member k on rank k % N, each segment scored where its chosen member lives");
  cmd->add_option("dir", a->dir, "hierarchy directory")->required();
  cmd->add_option("--domain", a->domains, "held-out text of a domain, NAME=FILE; repeatable")->required();
  cmd->add_option("--segment-tokens", a->segment_tokens, "tokens per routed segment")->capture_default_str();
  cmd->add_option("--max-segments", a->max_segments, "segments per domain (0 = all)")->capture_default_str();
  cmd->add_option("--prefix", a->prefix, "hard routing prefix (default: the manifest's)");
  cmd->add_option("--device", a->device, "cpu (Gloo)")->capture_default_str();
  cmd->add_flag("--json", a->json, "print one JSON object");
  cmd->callback([a] { run_route(*a); });
}

}  // namespace localist::app
