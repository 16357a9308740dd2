#pragma once
// automation: Plumb's calls to outside services. Today that is webhook
// delivery: signing event bodies (HMAC-SHA256), a small HTTP client with a
// hard deadline, checking webhook URLs when they are registered, and a
// background deliverer that sends due deliveries with retries and backoff.
// ML backends (docs/automation.md): a client for Plumb's and Label Studio's
// ML-backend protocols and the PredictionRunner that runs prediction jobs,
// health checks and train calls over the store in the background. Webhook
// delivery knows nothing of the store: deliveries come from a DeliveryQueue
// the server implements over it.

#include "automation/http_client.h"
#include "automation/ml_client.h"
#include "automation/prediction_runner.h"
#include "automation/webhook.h"
