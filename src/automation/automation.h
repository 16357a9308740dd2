#pragma once
// automation: Plumb's calls to outside services and its built-in learners.
// Webhook delivery: signing event bodies (HMAC-SHA256), a small HTTP client
// with a hard deadline, checking webhook URLs when they are registered, and
// a background deliverer that sends due deliveries with retries and backoff.
// ML backends (docs/automation.md): a client for Plumb's and Label Studio's
// ML-backend protocols and the PredictionRunner that runs prediction jobs,
// health checks and train calls over the store in the background.
// The active learner (active_learner.h): an online text classifier for a
// choice control, updated per accepted label, whose predictions pre-fill
// tasks and whose uncertainty (margin, entropy) ranks the unlabeled ones;
// its state is a binary blob the server persists. The span pre-labeler
// (span_prelabeler.h): gazetteer terms and regular expressions per label,
// spans in code points. Webhook delivery knows nothing of the store:
// deliveries come from a DeliveryQueue the server implements over it; the
// learners' models are blobs the server saves and loads, and the server
// serializes access to a model (see each class's comment).

#include "automation/active_learner.h"
#include "automation/http_client.h"
#include "automation/ml_client.h"
#include "automation/prediction_runner.h"
#include "automation/span_prelabeler.h"
#include "automation/webhook.h"
