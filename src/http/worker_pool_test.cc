// WorkerPool: every job posted runs once, on the pool's threads, all of
// them at once when there are as many jobs, and Join finishes what was
// queued.

#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace plumb::http {
namespace {

TEST(WorkerPoolTest, EveryJobPostedFromManyThreadsRunsOnce) {
  constexpr int kPosters = 8, kJobs = 2000;
  std::vector<std::atomic<int>> runs(kPosters * kJobs);
  {
    WorkerPool pool(4);
    std::vector<std::thread> posters;
    for (int p = 0; p < kPosters; ++p) {
      posters.emplace_back([&, p] {
        for (int j = 0; j < kJobs; ++j) {
          pool.Post(Job([&runs, i = p * kJobs + j] { runs[i].fetch_add(1); }));
        }
      });
    }
    for (std::thread& t : posters) t.join();
    pool.Join();
  }
  for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i].load(), 1) << "job " << i;
}

TEST(WorkerPoolTest, AsManyJobsAsThreadsRunAtOnceOnThePoolsThreads) {
  constexpr int kThreads = 6;
  WorkerPool pool(kThreads);
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  int saw_all = 0;
  std::set<std::thread::id> ran_on;
  for (int i = 0; i < kThreads; ++i) {
    pool.Post(Job([&] {
      std::unique_lock<std::mutex> lock(mu);
      ++started;
      ran_on.insert(std::this_thread::get_id());
      cv.notify_all();
      // Each job waits for all the others to have started: only threads
      // running side by side get there before the deadline.
      if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return started == kThreads; })) {
        ++saw_all;
      }
    }));
  }
  pool.Join();
  EXPECT_EQ(saw_all, kThreads);
  EXPECT_EQ(ran_on.size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(ran_on.count(std::this_thread::get_id()), 0u);
}

TEST(WorkerPoolTest, JoinRunsTheJobsQueuedBehindABusyThread) {
  WorkerPool pool(1);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> after{0};
  pool.Post(Job([&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
  }));
  for (int i = 0; i < 10; ++i) pool.Post(Job([&] { after.fetch_add(1); }));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  });
  pool.Join();
  releaser.join();
  EXPECT_EQ(after.load(), 10);
}

TEST(WorkerPoolTest, AJobMayOwnWhatCannotBeCopied) {
  std::atomic<int> seen{0};
  {
    WorkerPool pool(2);
    auto owned = std::make_unique<int>(42);
    pool.Post(Job([owned = std::move(owned), &seen] { seen = *owned; }));
  }  // the destructor joins
  EXPECT_EQ(seen.load(), 42);
}

}  // namespace
}  // namespace plumb::http
