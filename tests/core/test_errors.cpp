#include <gtest/gtest.h>

#include "localist/core/config.h"
#include "localist/core/errors.h"

namespace localist {
namespace {

std::string dashed(const std::string& key) { return "--" + key; }

TEST(Errors, ASettingIsSpelledByEachFaceAndBareInWhat) {
  const ConfigError e(setting("recruit") + " needs " + setting("blocks") + " vocab (now segment)");
  EXPECT_STREQ(e.what(), "recruit needs blocks vocab (now segment)");
  EXPECT_EQ(e.spelled(dashed), "--recruit needs --blocks vocab (now segment)");
  EXPECT_EQ(e.spelled([](const std::string& k) { return "\"" + k + "\""; }), "\"recruit\" needs \"blocks\" vocab (now segment)");
  // wrapped in another error's message, the marks survive through marked()
  const DataError outer("run: " + e.marked());
  EXPECT_EQ(outer.spelled(dashed), "run: --recruit needs --blocks vocab (now segment)");
}

TEST(Errors, AMessageWithoutMarksOrWithATornOneIsLeftAsItIs) {
  EXPECT_EQ(PathError("cannot read 'x'").spelled(dashed), "cannot read 'x'");
  const std::string torn = "a \x1e" "unclosed";  // an open mark without its close: nothing to spell
  EXPECT_EQ(ConfigError(torn).spelled(dashed), torn);
}

TEST(Errors, ConfigValidationNamesTheFieldForTheFaceToSpell) {
  LocalistConfig c;
  c.lambda = 2;
  try {
    c.validate();
    FAIL() << "lambda = 2 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "config: lambda = 2 is impossible; expected in [0, 1]");
    EXPECT_EQ(e.spelled(dashed), "config: --lambda = 2 is impossible; expected in [0, 1]");
  }
}

}  // namespace
}  // namespace localist
