// localist hierarchy route: hard routing with the hierarchy's members spread over processes
// (hierarchy/distributed_router.h): member k lives on rank k % N, each segment's prefix is scored
// where the members live, the router decides, and the rank holding the chosen member scores
// the rest. Launched like distributed training, one process per device:
//   torchrun --nproc-per-node N --no-python localist hierarchy route DIR --domain NAME=FILE [--domain ...] [--json]
// Rank 0 prints per-domain routed perplexity, routing accuracy, and which rank scored what.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "localist/core/device.h"
#include "localist/core/errors.h"
#include "localist/data/corpus.h"
#include "localist/hierarchy/distributed_router.h"
#include "localist/hierarchy/segments.h"

namespace localist::app {
namespace {

using json = nlohmann::json;

struct RouteArgs {
  std::string dir;
  std::vector<std::string> domains;
  int64_t segment_tokens = 128, max_segments = 200, prefix = -1;
  std::string device = "cpu";
  bool json = false;
};

void run_route(const RouteArgs& a) {
  if (a.segment_tokens < 3) throw ConfigError("--segment-tokens must be >= 3");
  const torch::Device device = resolve_device(a.device);
  Distributed dist(DistributedEnv::from_environment(), device);
  const int world = dist.world_size();
  auto h = load_hierarchy(a.dir, device, [&](size_t k) { return owner_rank(static_cast<int64_t>(k), world) == dist.rank(); });
  const int64_t K = static_cast<int64_t>(h.models.size());
  const int64_t prefix = a.prefix >= 0 ? a.prefix : h.manifest.prefix;
  std::vector<BlockMap> blocks;
  for (auto& m : h.models) blocks.push_back(BlockMap::from_config(m.meta.localist, *m.tokenizer));
  json out = {{"hierarchy", a.dir}, {"ranks", world}, {"routing_prefix", prefix},
              {"segment_tokens", a.segment_tokens}, {"placement", json::object()}, {"domains", json::array()}};
  for (int64_t k = 0; k < K; ++k) out["placement"][h.manifest.members[k].name] = owner_rank(k, world);
  auto scored_by = torch::zeros({world}, torch::kDouble);  // segments whose rest each rank scored
  double all_nll = 0, all_n = 0, all_right = 0, all_segments = 0;
  for (const auto& d : a.domains) {
    const auto [name, file] = name_value(d, "--domain");
    const auto ids = h.models[0].tokenizer->encode(data::read_text_file(file));
    const int64_t own = h.manifest.member_for_domain(name);
    double nll = 0, n = 0, right = 0, segments = 0;
    for (const auto& seg : localist::segments(ids, a.segment_tokens, a.max_segments)) {
      const auto r = route_hard_across(dist, h, blocks, seg, prefix);
      nll += r.nll.sum().item<double>();
      n += static_cast<double>(r.nll.size(0));
      right += r.chosen == own;
      scored_by[owner_rank(r.chosen, world)] += 1;
      ++segments;
    }
    if (segments == 0)
      throw DataError("'" + file + "' holds fewer than one " + std::to_string(a.segment_tokens) + "-token segment");
    out["domains"].push_back({{"domain", name}, {"own_model", h.manifest.members[own].name}, {"segments", segments},
                              {"predictions", n}, {"ppl_hard", std::exp(nll / n)}, {"routing_accuracy", right / segments}});
    all_nll += nll, all_n += n, all_right += right, all_segments += segments;
  }
  out["all"] = {{"segments", all_segments}, {"ppl_hard", std::exp(all_nll / all_n)},
                {"routing_accuracy", all_right / all_segments}};
  out["segments_scored_by_rank"] = std::vector<double>(scored_by.data_ptr<double>(), scored_by.data_ptr<double>() + world);
  if (!dist.is_root()) return;
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("hierarchy %s over %d processes:", a.dir.c_str(), world);
  for (int64_t k = 0; k < K; ++k) std::printf(" %s on rank %d;", h.manifest.members[k].name.c_str(), owner_rank(k, world));
  std::printf(" hard routing after %lld predictions\n| domain | own model | segments | ppl hard | routing acc. |\n|---|---|---|---|---|\n",
              static_cast<long long>(prefix));
  for (const auto& d : out["domains"])
    std::printf("| %s | %s | %.0f | %.3f | %.1f%% |\n", d["domain"].get<std::string>().c_str(),
                d["own_model"].get<std::string>().c_str(), d["segments"].get<double>(), d["ppl_hard"].get<double>(),
                100 * d["routing_accuracy"].get<double>());
  std::printf("segments whose rest each rank scored:");
  for (int r = 0; r < world; ++r) std::printf(" rank %d: %.0f;", r, scored_by[r].item<double>());
  std::printf("\n");
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
