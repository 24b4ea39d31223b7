// The `align` config section: defaults, values, and a typo named by key.
#include "host/align/align_options.h"

#include <gtest/gtest.h>

#include "host/runtime/config_loader.h"

namespace {

using jstip::Config;
using jstip::ConfigError;
using jstip::align::align_settings_from_config;

Config config_of(const std::string& yaml) { return Config(jstip::host::parse_yaml(yaml, "a.yaml"), ""); }

TEST(AlignOptions, ValuesAreReadAndAbsentKeysKeepTheDefaults) {
  EXPECT_DOUBLE_EQ(align_settings_from_config(config_of("seed: 1\n")).min_score, -1.0);
  const auto settings = align_settings_from_config(config_of("align:\n  min_score: -0.5\n  poor: flag\n  batch_size: 2\n"));
  EXPECT_DOUBLE_EQ(settings.min_score, -0.5);
  EXPECT_FALSE(settings.drop_poor);
  EXPECT_EQ(settings.batch_size, 2);
}

TEST(AlignOptions, UnknownKeyIsNamedWithItsPlaceAndTheClosestKey) {
  try {
    align_settings_from_config(config_of("align:\n  min_score: -0.5\n  batch_sise: 4\n"));
    FAIL() << "align.batch_sise accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "a.yaml:3: unknown option 'align.batch_sise'; did you mean 'batch_size'?");
  }
}

}  // namespace
