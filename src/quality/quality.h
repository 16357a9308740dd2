#pragma once
// quality: how good labels are, as pure functions over core types — the
// consensus of a task's annotations with agreement scores (consensus.h),
// Dawid–Skene estimation of labeler reliability for choice controls
// (dawid_skene.h), grading against golden answers (grading.h), and the region
// overlap (geometry.h) and text distance (text_distance.h) they rest on. No
// I/O; every function is thread-safe.

#include "quality/consensus.h"
#include "quality/dawid_skene.h"
#include "quality/geometry.h"
#include "quality/grading.h"
#include "quality/text_distance.h"
