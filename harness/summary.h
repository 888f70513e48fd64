// summary.json of a run (docs/results.md): per (model, task, length) cell the mean score in percent with a
// 95% interval, and per length the RULER and BABILong headline means.
//
// The one idea that makes it work: the summary is a pure function of the rows (plus run.json), computed
// the same way by `hsa eval`, `hsa merge` and the tests, so a merged sharded run and an unsharded run of the
// same spec give identical summaries. Intervals: Wilson for 0/1 scores; otherwise a percentile bootstrap
// with a fixed seed, so it is reproducible too.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace hsa {

// 95% Wilson score interval of k successes in n trials, as fractions in [0, 1].
std::pair<double, double> wilson_interval(uint64_t k, uint64_t n, double z = 1.959963984540054);

// Percentile bootstrap interval of the mean (fractions), `resamples` resamples from a fixed-seed stream.
std::pair<double, double> bootstrap_interval(const std::vector<double>& scores, int resamples = 2000,
                                             uint64_t seed = 20251017);

// One cell: {"n", "mean", "ci95", "nulls", "prefill_tokens_per_second", "peak_host_bytes",
// "peak_device_bytes"} from its rows (mean and interval in percent).
nlohmann::json summarize_cell(const std::vector<nlohmann::json>& rows);

// The whole summary.json: {"run": run, "models": {model: {"cells": ..., "per_length": ...}}}.
// Cell and length keys are the length in decimal ("4096"). Rows need model, task, family, length, score,
// prediction, prompt_tokens, prefill_seconds, peak_host_bytes, peak_device_bytes.
nlohmann::json summarize(const nlohmann::json& run, const std::vector<nlohmann::json>& rows);

// A row without its measurements (timings, memory, device, commit): what must be identical when the same
// item is run twice, e.g. by a resumed run and an uninterrupted one, or by two shards.
nlohmann::json row_content(const nlohmann::json& row);

}  // namespace hsa
