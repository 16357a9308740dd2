#pragma once
// automation: Plumb's calls to outside services. Today that is webhook
// delivery: signing event bodies (HMAC-SHA256), a small HTTP client with a
// hard deadline, checking webhook URLs when they are registered, and a
// background deliverer that sends due deliveries with retries and backoff.
// ML-backend calls and active learning will live here too. The module knows
// nothing of the store: deliveries come from a DeliveryQueue the server
// implements over it.

#include "automation/http_client.h"
#include "automation/webhook.h"
