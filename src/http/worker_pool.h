#pragma once

// The handler threads of the server. Post hands a job straight to the
// thread that went idle last (its cache is the warmest) and wakes that
// thread alone, through a futex word of its own; with none idle the job
// waits in a FIFO. asio::thread_pool, used before, parks every idle thread
// on one condition variable under its scheduler's one mutex: with 48
// threads on two cores that was a third of a loaded server's futex calls.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace plumb::http {

// A move-only job: what std::function cannot hold (a coroutine's
// completion handler).
class Job {
 public:
  Job() = default;
  template <typename F>
  explicit Job(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}
  explicit operator bool() const { return impl_ != nullptr; }
  void operator()() { impl_->Run(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void Run() = 0;
  };
  template <typename F>
  struct Impl final : Base {
    explicit Impl(F f) : f(std::move(f)) {}
    void Run() override { f(); }
    F f;
  };
  std::unique_ptr<Base> impl_;
};

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  // Join()s.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `job` on one of the threads. Jobs posted after Join() began are
  // still run if a thread is left to take them; none is lost before that.
  void Post(Job job);
  // Runs every job posted so far, then ends the threads.
  void Join();

 private:
  struct Worker {
    std::thread thread;
    std::atomic<uint32_t> handed{0};  // a futex word: 1 once `job` is set (or to stop)
    Job job;
  };
  void Loop(Worker& self);

  std::mutex mu_;
  std::deque<Job> queued_;     // jobs no thread was idle for, oldest first
  std::vector<Worker*> idle_;  // waiting threads, the last to wait at the back
  bool stopping_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace plumb::http
