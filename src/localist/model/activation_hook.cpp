#include "localist/model/activation_hook.h"

#include "localist/core/errors.h"

namespace localist {

namespace {
std::string shape(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}
}  // namespace

torch::Tensor at_hook(const ActivationHook* hook, const std::string& name, const torch::Tensor& value) {
  if (!hook || !*hook) return value;
  auto out = (*hook)(name, value);
  if (!out.defined()) return value;  // a hook that only reads may return nothing
  if (out.sizes() != value.sizes())
    throw ConfigError("hook " + name + ": returned a tensor of shape " + shape(out) + ", expected " + shape(value));
  return out.to(value.device(), value.scalar_type());
}

}  // namespace localist
