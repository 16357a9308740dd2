#pragma once
// The webhook deliverer's queue (automation::DeliveryQueue) over the store's
// deliveries table: what `plumb serve` runs its deliverer on.

#include "automation/automation.h"
#include "store/store.h"

namespace plumb::cli {

// Thread-safe as the store is; `store` must outlive it.
class StoreDeliveryQueue final : public automation::DeliveryQueue {
 public:
  explicit StoreDeliveryQueue(store::Store& store) : store_(store) {}

  Result<std::vector<automation::DueDelivery>> ClaimDue(int64_t now_ms, int32_t limit,
                                                        int64_t lock_ms) override;
  Status Record(const automation::DeliveryAttempt& attempt) override;

 private:
  store::Store& store_;
};

}  // namespace plumb::cli
