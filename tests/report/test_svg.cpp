// The SVG primitives of the report: points land on the expected pixels (linear and log axes),
// text is escaped, the heatmap has one rect per cell coloured from white to dark blue.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "localist/report/svg.h"
#include "occurrences.h"

namespace localist {
namespace {

using testing::occurrences;

TEST(Svg, LineChartPutsKnownPointsAtTheirPixels) {
  svg::LineChart c;
  c.title = "t";
  c.width = 440;
  c.height = 280;
  c.x_min = 0, c.x_max = 1, c.y_min = 0, c.y_max = 10;
  c.series.push_back({"s", {0.0, 0.5, 1.0}, {0.0, 5.0, 10.0}});
  const auto s = svg::line_chart(c);
  // plot area: x 64 .. 424 (width - 16), y 236 (height - 44) .. 28
  EXPECT_NE(s.find("<circle cx=\"64\" cy=\"236\""), std::string::npos) << s;
  EXPECT_NE(s.find("<circle cx=\"244\" cy=\"132\""), std::string::npos) << s;
  EXPECT_NE(s.find("<circle cx=\"424\" cy=\"28\""), std::string::npos) << s;
  EXPECT_NE(s.find("M64 236 L244 132 L424 28"), std::string::npos) << s;
  EXPECT_EQ(occurrences(s, "<svg"), 1);
  EXPECT_EQ(occurrences(s, "</svg>"), 1);
  EXPECT_NE(s.find(">0.4</text>"), std::string::npos);  // an x tick label (step 0.2)
}

TEST(Svg, LogAxisAndAutomaticRanges) {
  svg::LineChart c;
  c.log_y = true;
  c.x_min = 0, c.x_max = 1;
  c.series.push_back({"ppl", {0.0, 1.0}, {10.0, 0.0}});  // y <= 0 is skipped on a log axis
  svg::Frame f{0, 1, 1, 100, c.width, c.height, true};
  EXPECT_DOUBLE_EQ(f.py(10), 132);  // halfway up the plot: one of two decades
  const auto s = svg::line_chart(c);
  EXPECT_EQ(occurrences(s, "<circle"), 1);
  EXPECT_NE(s.find(">10</text>"), std::string::npos) << s;
}

TEST(Svg, LogXAxisPlacesDecadesEvenlyAndSkipsNonPositiveX) {
  svg::LineChart c;
  c.log_x = true;
  c.x_min = 1e-2, c.x_max = 1e6;  // 8 decades over 360 px: 45 px each
  c.y_min = 0, c.y_max = 1;
  c.series.push_back({"fidelity", {0.0, 1e-2, 1.0, 1e6}, {0.5, 0.5, 0.5, 0.5}});
  const auto s = svg::line_chart(c);
  EXPECT_EQ(occurrences(s, "<circle"), 3);  // x = 0 has no place on a log axis
  EXPECT_NE(s.find("M64 132 L154 132 L424 132"), std::string::npos) << s;
  EXPECT_NE(s.find(">1e4</text>"), std::string::npos) << s;
  EXPECT_NE(s.find(">0.01</text>"), std::string::npos) << s;
  c.series = {{"mass", {1.0, 2.0}, {1e-32, 1.0}}};  // 32 decades: every 4th labelled, not all
  c.log_y = true;
  c.log_x = false, c.x_min = NAN, c.x_max = NAN, c.y_min = NAN, c.y_max = NAN;
  const auto many = svg::line_chart(c);
  EXPECT_NE(many.find(">1e-32</text>"), std::string::npos) << many;
  EXPECT_NE(many.find(">1e-28</text>"), std::string::npos) << many;
  EXPECT_EQ(many.find(">1e-31</text>"), std::string::npos) << many;
  EXPECT_EQ(svg::tick_label(2e-5), "2e-5");
  EXPECT_EQ(svg::tick_label(1e10), "1e10");
  EXPECT_EQ(svg::tick_label(0.25), "0.25");
  EXPECT_EQ(svg::tick_label(1000), "1000");
}

TEST(Svg, TextIsEscaped) {
  EXPECT_EQ(svg::escape("a<b & \"c\" 'd' >"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39; &gt;");
  svg::LineChart c;
  c.title = "loss <train> & valid";
  c.series.push_back({"x<y&z", {0.0}, {1.0}});
  const auto s = svg::line_chart(c);
  EXPECT_NE(s.find("loss &lt;train&gt; &amp; valid"), std::string::npos);
  EXPECT_NE(s.find("x&lt;y&amp;z"), std::string::npos);
  EXPECT_EQ(s.find("<train>"), std::string::npos);
  EXPECT_EQ(s.find("x<y"), std::string::npos);
}

TEST(Svg, HeatmapHasOneRectPerCellWithTheScaleColours) {
  svg::Heatmap m;
  m.title = "h<1>";
  m.rows = 2;
  m.cols = 3;
  m.values = {0, 1, 2, 3, 4, NAN};
  m.vmin = 0;
  m.vmax = 4;
  m.col_boundaries = {1};
  m.row_labels = {"a&", "b"};
  const auto s = svg::heatmap(m);
  EXPECT_EQ(occurrences(s, "<rect class=\"cell\""), 6);
  EXPECT_NE(s.find("fill=\"#ffffff\"><title>0,0: 0</title>"), std::string::npos) << s;
  EXPECT_NE(s.find("fill=\"#08306b\"><title>1,1: 4</title>"), std::string::npos) << s;
  EXPECT_NE(s.find("fill=\"#dddddd\"><title>1,2: none</title>"), std::string::npos) << s;
  EXPECT_EQ(occurrences(s, "class=\"boundary\""), 1);
  EXPECT_NE(s.find("h&lt;1&gt;"), std::string::npos);
  EXPECT_NE(s.find(">a&amp;</text>"), std::string::npos);
  EXPECT_EQ(svg::heat_colour(2, 0, 4), "#8498b5");  // halfway, rounded per channel
  EXPECT_EQ(svg::heat_colour(9, 0, 4), "#08306b");  // clamped
}

}  // namespace
}  // namespace localist
