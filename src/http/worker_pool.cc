#include "http/worker_pool.h"

#include "core/futex.h"

namespace plumb::http {

WorkerPool::WorkerPool(size_t threads) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) {
    Worker* self = w.get();
    self->thread = std::thread([this, self] { Loop(*self); });
  }
}

WorkerPool::~WorkerPool() { Join(); }

void WorkerPool::Post(Job job) {
  Worker* handed = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      handed = idle_.back();
      idle_.pop_back();
      handed->job = std::move(job);
    } else {
      queued_.push_back(std::move(job));
    }
  }
  if (handed != nullptr) {
    handed->handed.store(1, std::memory_order_release);
    FutexWake(handed->handed);
  }
}

void WorkerPool::Loop(Worker& self) {
  while (true) {
    Job job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!queued_.empty()) {
        job = std::move(queued_.front());
        queued_.pop_front();
      } else if (stopping_) {
        return;
      } else {
        self.handed.store(0, std::memory_order_relaxed);
        idle_.push_back(&self);
      }
    }
    if (!job) {
      while (self.handed.load(std::memory_order_acquire) == 0) FutexWait(self.handed, 0);
      job = std::move(self.job);
      if (!job) return;  // woken by Join
    }
    job();
  }
}

void WorkerPool::Join() {
  std::vector<Worker*> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    idle.swap(idle_);
  }
  for (Worker* w : idle) {
    w->handed.store(1, std::memory_order_release);
    FutexWake(w->handed);
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace plumb::http
