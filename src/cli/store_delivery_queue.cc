#include "cli/store_delivery_queue.h"

namespace plumb::cli {

Result<std::vector<automation::DueDelivery>> StoreDeliveryQueue::ClaimDue(int64_t now_ms,
                                                                          int32_t limit,
                                                                          int64_t lock_ms) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Store::Delivery> claimed,
                         store_.ClaimDueDeliveries(now_ms, limit, lock_ms));
  std::vector<automation::DueDelivery> due;
  due.reserve(claimed.size());
  for (store::Store::Delivery& d : claimed) {
    due.push_back({d.id, std::move(d.url), std::move(d.secret), std::move(d.event_type),
                   std::move(d.body_json), d.attempts});
  }
  return due;
}

Status StoreDeliveryQueue::Record(const automation::DeliveryAttempt& attempt) {
  store::Store::DeliveryAttempt stored;
  stored.delivery_id = attempt.delivery_id;
  stored.at_ms = attempt.at_ms;
  stored.status = attempt.status;
  stored.error = attempt.error;
  stored.delivered = attempt.delivered;
  stored.next_attempt_at_ms = attempt.next_attempt_at_ms;
  return store_.RecordDeliveryAttempt(stored);
}

}  // namespace plumb::cli
