// Answers to the reads every labeling request makes about its project's
// configuration (the project row, membership, the instructions version, a
// bake-off's labelers), kept in memory between the writes that can change
// them. Under 64 annotators these were 6 of the 8 reads of a next+submit
// round trip, and each read after a commit starts on an emptied page cache.
//
// Correctness rests on an epoch: every committed write of this process bumps
// it before it is reported done, except the labeling writes that are known
// to leave these tables alone (claims, revisions, skips; see
// SqliteStore::WriteLabels and the test that checks it). An answer is used
// only under the epoch it was read at, so a change made through this store
// is seen by every request that starts after the change returned. A change
// made by another process on the same file (the plumb CLI beside a running
// server) is seen once the answer is older than `ttl`.

#ifndef PLUMB_STORE_SQLITE_CONFIG_CACHE_H_
#define PLUMB_STORE_SQLITE_CONFIG_CACHE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

namespace plumb::store::sqlite {

class ConfigEpoch {
 public:
  uint64_t Current() const { return epoch_.load(std::memory_order_acquire); }
  // After a commit that may have changed the cached tables, before the
  // writes in it are reported done.
  void Bump() { epoch_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::atomic<uint64_t> epoch_{1};
};

// One kind of answer, by key. Bounded: past kMaxEntries it starts over.
template <typename Key, typename Value>
class ConfigAnswers {
 public:
  ConfigAnswers(const ConfigEpoch& epoch, std::chrono::steady_clock::duration ttl)
      : epoch_(epoch), ttl_(ttl) {}

  // The answer for `key`, read by `load()` (a Result<Value>) unless one
  // read under the current epoch and within the ttl is kept. Errors are
  // never kept, nor answers `keep(value)` refuses (by default none: only
  // IsMember refuses, an absent membership, which another process may add).
  template <typename Load, typename Keep = bool (*)(const Value&)>
  auto Get(const Key& key, Load&& load, Keep&& keep = KeepAll) -> decltype(load()) {
    // Read before the load: an answer loaded across a commit is filed
    // under the epoch before it, which that commit has already ended.
    const uint64_t epoch = epoch_.Current();
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = answers_.find(key);
      if (it != answers_.end() && it->second.epoch == epoch && now - it->second.read_at < ttl_) {
        return it->second.value;
      }
    }
    auto loaded = load();
    if (!loaded.ok() || !keep(*loaded)) return loaded;
    std::lock_guard<std::mutex> lock(mu_);
    if (answers_.size() >= kMaxEntries) answers_.clear();
    answers_.insert_or_assign(key, Entry{*loaded, epoch, now});
    return loaded;
  }

 private:
  static bool KeepAll(const Value&) { return true; }
  static constexpr size_t kMaxEntries = 20'000;
  struct Entry {
    Value value;
    uint64_t epoch = 0;
    std::chrono::steady_clock::time_point read_at;
  };
  const ConfigEpoch& epoch_;
  const std::chrono::steady_clock::duration ttl_;
  std::mutex mu_;
  std::map<Key, Entry> answers_;
};

}  // namespace plumb::store::sqlite

#endif  // PLUMB_STORE_SQLITE_CONFIG_CACHE_H_
