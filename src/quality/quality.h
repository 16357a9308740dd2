#pragma once
// quality: how good labels are, as pure functions over core types — the
// consensus of a task's annotations with agreement scores (consensus.h),
// Dawid–Skene estimation of labeler reliability for choice controls
// (dawid_skene.h) and the accuracy-weighted vote (agreement.h), grading
// against golden answers (grading.h), and the region overlap (geometry.h)
// and text distance (text_distance.h) they rest on; and the metrics of a
// project's labels (docs/quality.md): classification metrics and
// inter-rater agreement (metrics.h), detection matching and mAP
// (detection.h), entity spans (spans.h), character and word error rates
// (error_rates.h), and confidence intervals (bootstrap.h). No I/O; every
// function is thread-safe.

#include "quality/agreement.h"
#include "quality/bakeoff.h"
#include "quality/bootstrap.h"
#include "quality/consensus.h"
#include "quality/dawid_skene.h"
#include "quality/detection.h"
#include "quality/error_rates.h"
#include "quality/geometry.h"
#include "quality/grading.h"
#include "quality/metrics.h"
#include "quality/spans.h"
#include "quality/text_distance.h"
