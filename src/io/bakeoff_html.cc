// The bake-off report as one HTML file: no script, no outside resource,
// every string from the report (names come from users and vendors) escaped.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "io/bakeoff_io.h"

namespace plumb::io {
namespace {

using nlohmann::json;

std::string Text(const json& v) {
  if (v.is_string()) return EscapeHtml(v.get<std::string>());
  if (v.is_null()) return "–";
  return EscapeHtml(v.dump());
}

std::string Fixed(const json& v, int digits = 3) {
  if (!v.is_number()) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v.get<double>());
  return buf;
}

std::string WithInterval(const json& i) {
  if (!i.is_object()) return "–";
  return Fixed(i["estimate"]) + " <span class=ci>[" + Fixed(i["low"]) + ", " + Fixed(i["high"]) +
         "]</span>";
}

std::string Duration(const json& ms) {
  if (!ms.is_number()) return "–";
  const double s = ms.get<double>() / 1000.0;
  char buf[64];
  if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  } else if (s < 172800) {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f days", s / 86400);
  }
  return buf;
}

// Accuracy (y) against cost (x), one dot per candidate with a known cost.
std::string Chart(const json& candidates) {
  constexpr double kW = 560, kH = 300, kPad = 48;
  double max_cost = 0;
  for (const json& c : candidates) {
    if (c["cost"]["total"].is_number())
      max_cost = std::max(max_cost, c["cost"]["total"].get<double>());
  }
  if (max_cost <= 0) max_cost = 1;
  std::string svg =
      "<svg xmlns='http://www.w3.org/2000/svg' width='560' height='300' role='img' "
      "aria-label='accuracy against cost'>";
  svg +=
      "<line x1='48' y1='252' x2='552' y2='252' stroke='#888'/>"
      "<line x1='48' y1='12' x2='48' y2='252' stroke='#888'/>"
      "<text x='300' y='290' text-anchor='middle'>cost</text>"
      "<text x='14' y='140' transform='rotate(-90 14 140)' text-anchor='middle'>accuracy</text>"
      "<text x='44' y='256' text-anchor='end'>0</text><text x='44' y='16' "
      "text-anchor='end'>1</text>";
  svg += "<text x='552' y='268' text-anchor='end'>" + Fixed(json(max_cost), 2) + "</text>";
  for (const json& c : candidates) {
    const json& cost = c["cost"]["total"];
    const json& acc = c["accuracy"]["score"]["estimate"];
    if (!cost.is_number() || !acc.is_number()) continue;
    const double x = kPad + (kW - kPad - 8) * cost.get<double>() / max_cost;
    const double y = (kH - kPad) - (kH - kPad - 12) * std::clamp(acc.get<double>(), 0.0, 1.0);
    char pos[96];
    std::snprintf(pos, sizeof pos, "cx='%.1f' cy='%.1f'", x, y);
    svg += std::string("<circle ") + pos + " r='6' fill='#2563eb'/>";
    std::snprintf(pos, sizeof pos, "x='%.1f' y='%.1f'", x + 9, y - 6);
    svg += std::string("<text ") + pos + ">" + Text(c["name"]) + "</text>";
  }
  return svg + "</svg>";
}

}  // namespace

std::string RenderBakeoffHtml(const json& report) {
  const json& b = report["bakeoff"];
  const json& candidates = report["candidates"];
  std::string h = "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>";
  h += "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src "
       "'unsafe-inline'\">";
  h += "<title>Bake-off " + Text(b["name"]) +
       "</title><style>"
       "body{font-family:system-ui,sans-serif;margin:2em;color:#111}"
       "table{border-collapse:collapse;margin:.5em 0 1.5em}"
       "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
       "th{background:#f3f4f6}.ci{color:#666;font-size:.9em}"
       "</style></head><body>";
  h += "<h1>Bake-off: " + Text(b["name"]) + "</h1>";
  h += "<p>Project " + Text(b["project"]) + " · golden set " + Text(b["golden_set"]["name"]) +
       " v" + Text(b["golden_set"]["version"]) + " (" + Text(b["golden_set"]["tasks"]) +
       " tasks) · instructions v" + Text(b["instructions_version"]) + " · " + Text(b["state"]) +
       " · created " + Text(b["created_at"]) + "</p>";
  const json& w = report["weights"];
  h += "<p>Weights: accuracy " + Text(w["accuracy"]) + ", speed " + Text(w["speed"]) + ", cost " +
       Text(w["cost"]) + ". Intervals are " + Fixed(report["level"], 2) +
       " percentile bootstrap intervals over the golden tasks.</p>";
  h += "<h2>Ranking</h2><table><tr><th>rank</th><th>candidate</th><th>kind</th><th>score</th>"
       "<th>accuracy</th><th>labels</th><th>turnaround</th><th>labels/hour</th><th>cost</th></tr>";
  for (const json& id : report["ranking"]) {
    for (const json& c : candidates) {
      if (c["id"] != id) continue;
      h += "<tr><td>" + Text(c["rank"]) + "</td><td>" + Text(c["name"]) + "</td><td>" +
           Text(c["kind"]) + "</td><td>" + Fixed(c["rank_score"]) + "</td><td>" +
           WithInterval(c["accuracy"]["score"]) + "</td><td>" + Text(c["labels"]) + "</td><td>" +
           Duration(c["speed"]["turnaround_ms"]) + "</td><td>" +
           Fixed(c["speed"]["labels_per_hour"], 1) + "</td><td>" + Fixed(c["cost"]["total"], 2) +
           " " + Text(c["cost"]["currency"]) + "</td></tr>";
    }
  }
  h += "</table>";
  const json& cmp = report["comparison"];
  if (cmp.is_object()) {
    std::string first, second;
    for (const json& c : candidates) {
      if (c["id"] == cmp["first"]) first = Text(c["name"]);
      if (c["id"] == cmp["second"]) second = Text(c["name"]);
    }
    h += "<p>" + first + " − " + second + " on the same tasks: " + WithInterval(cmp["difference"]) +
         ", p = " + Fixed(cmp["p_value"], 4) + " — the gap is " +
         (cmp["significant"].get<bool>() ? "significant" : "not significant") + ".</p>";
  }
  h += "<h2>Accuracy and cost</h2>" + Chart(candidates);
  for (const json& c : candidates) {
    h += "<h2>" + Text(c["name"]) + "</h2><p>" + Text(c["kind"]) + " · pricing " +
         Text(c["pricing"]["model"]) + " " + Fixed(c["pricing"]["rate"], 2) + " " +
         Text(c["pricing"]["currency"]) + " · sent " + Text(c["sent_at"]) + " · coverage " +
         Fixed(c["coverage"], 2) + " · correct " + Text(c["accuracy"]["correct"]) + "</p>";
    h += "<table><tr><th>control</th><th>metric</th><th>value</th></tr>";
    for (const json& k : c["accuracy"]["controls"]) {
      for (const json& f : k["figures"]) {
        h += "<tr><td>" + Text(k["control"]) + "</td><td>" + Text(f["metric"]) + "</td><td>" +
             WithInterval(f) + "</td></tr>";
      }
    }
    h += "</table><table><tr><th>control</th><th>class</th><th>precision</th><th>recall</th>"
         "<th>F1</th><th>AP</th><th>support</th></tr>";
    for (const json& k : c["accuracy"]["controls"]) {
      for (const json& cl : k["classes"]) {
        h += "<tr><td>" + Text(k["control"]) + "</td><td>" + Text(cl["label"]) + "</td><td>" +
             Fixed(cl["precision"]) + "</td><td>" + Fixed(cl["recall"]) + "</td><td>" +
             Fixed(cl["f1"]) + "</td><td>" + Fixed(cl.value("ap", json())) + "</td><td>" +
             Text(cl["support"]) + "</td></tr>";
      }
    }
    h += "</table><h3>Worst tasks</h3><table><tr><th>task</th><th>score</th><th>answered</th></tr>";
    for (const json& t : c["worst_tasks"]) {
      h += "<tr><td>" + Text(t["task_id"]) + "</td><td>" + Fixed(t["score"]) + "</td><td>" +
           (t["answered"].get<bool>() ? "yes" : "no") + "</td></tr>";
    }
    h += "</table>";
  }
  h += "<p class=ci>Generated " + Text(report["generated_at"]) + " by Plumb.</p></body></html>\n";
  return h;
}

}  // namespace plumb::io
