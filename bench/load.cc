// plumb_bench_load: an HTTP load generator for a running `plumb serve` on
// 127.0.0.1. Every simulated client is a coroutine with its own keep-alive
// connection; all of them share one io thread by default, so the client
// takes as little of the machine from the server as it can.
//
// --port takes one port or several, comma-separated ("8081,8082"): servers
// on one database. Setup uses the first; in the load modes client i talks to
// the (i mod n)-th, so the clients are split evenly across the servers.
//
//   plumb_bench_load setup --port P --password PW [--admin NAME] [--users 64] --tokens FILE
//                    [--name bench] [--overlap 1] [--golden-rate 0] [--golden-tasks 0]
//                    [--existing-users]
//     Signs in as the admin, creates the project NAME (one single-choice
//     control over the task's "text", with the overlap and golden_rate
//     given), creates the annotators "bench-1".."bench-N", adds them to the
//     project and writes one API token per annotator to FILE. With
//     --existing-users the annotators of an earlier setup are added to the
//     new project instead (no users, no tokens). --golden-tasks N adds N
//     tasks through the API and makes each golden with
//     PUT /tasks/{id}/golden (the answer is the label annotate submits for
//     it). Prints project=ID.
//   plumb_bench_load annotate --port P --project ID --tokens FILE [--concurrency 64]
//                    [--seconds 20] [--warmup 1] [--max-rounds N]
//     Each of C annotators (a distinct user each) loops POST /projects/ID/next
//     then POST /tasks/T/annotations with the lease. Records the pair and each
//     call separately.
//   plumb_bench_load healthz --port P [--concurrency 64] [--seconds 10] [--warmup 1]
//                    [--max-rounds N]
//     The baseline: the same client and concurrency, looping GET /healthz.
//   plumb_bench_load stats --port P --user NAME --password PW --project ID [--requests 100]
//                    [--seconds 20]
//     Signs in as NAME (a manager) and, one endpoint after the other on one
//     keep-alive connection, sends 5 warm-up GETs then --requests timed ones
//     (fewer when they take longer than --seconds in all), one at a time, to
//     each of the project's analytics endpoints (summary, labelers,
//     workforces, timeseries, confusion; default range: the last 30 days)
//     and to two that are not stats endpoints (samples?seed=1&size=24,
//     disagreements?limit=50), then to /healthz the same way, the baseline.
//     Any status but 200 stops the run. Prints one key=value line per
//     endpoint: endpoint=NAME kind=stats|other|baseline requests p50_ms
//     p99_ms max_ms first_ms (the first warm-up) reply_bytes.
//
// In annotate and healthz only round trips that start after the warm-up and
// end inside the measured window count; both stop at the deadline or after
// --max-rounds round trips in all, whichever comes first, and print one
// key=value line. Every request of every mode times out after 10 s, so a
// stuck server cannot hold the run.

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;
using nlohmann::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kRequestTimeout = std::chrono::seconds(10);
// Argon2 makes user creation and login slow on purpose; a few at a time keep
// the server's workers busy without queueing 64 hashes behind each other.
constexpr int kSetupParallel = 4;

struct Options {
  std::string mode;
  std::vector<uint16_t> ports;  // setup uses the first
  std::string admin = "admin";
  std::string user;  // stats: who signs in
  std::string password;
  std::string tokens_path;
  int64_t project = 0;
  int users = 64;
  std::string name = "bench";
  int overlap = 1;
  double golden_rate = 0;
  int golden_tasks = 0;
  bool existing_users = false;
  int concurrency = 64;
  double seconds = 20;
  double warmup = 1;
  int64_t max_rounds = 2'000'000;
  int threads = 1;
  int requests = 100;  // stats: timed requests per endpoint
};

// One request. Callers build it with the plain functions below and keep it
// in a named local across the co_await: GCC 12 destroys temporaries and
// by-value class arguments of coroutine calls twice.
struct Call {
  bhttp::verb method = bhttp::verb::get;
  std::string target;
  std::string body;
  std::string bearer;  // an API token
  std::string cookie;  // "plumb_session=..."
};

Call Post(const std::string& target, const std::string& body, const std::string& bearer) {
  return Call{bhttp::verb::post, target, body, bearer, ""};
}

Call Get(const std::string& target, const std::string& bearer = "") {
  return Call{bhttp::verb::get, target, "", bearer, ""};
}

Call Put(const std::string& target, const std::string& body, const std::string& bearer) {
  return Call{bhttp::verb::put, target, body, bearer, ""};
}

struct Reply {
  int status = 0;
  std::string body;
  std::string cookie;  // the Set-Cookie pair, without attributes
};

std::runtime_error Unexpected(const std::string& what, const Reply& reply) {
  return std::runtime_error(what + ": HTTP " + std::to_string(reply.status) + " " +
                            reply.body.substr(0, 300));
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects when the
// server closed the previous one.
class Connection {
 public:
  Connection(asio::any_io_executor executor, uint16_t port) : stream_(executor), port_(port) {}

  ~Connection() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  awaitable<Reply> Send(const Call& call) {
    if (!open_) {
      stream_.expires_after(kRequestTimeout);
      co_await stream_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port_),
                                     use_awaitable);
      // Small requests back to back: Nagle would hold each one for an ACK.
      stream_.socket().set_option(tcp::no_delay(true));
      open_ = true;
    }
    bhttp::request<bhttp::string_body> req{call.method, call.target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!call.bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + call.bearer);
    if (!call.cookie.empty()) req.set(bhttp::field::cookie, call.cookie);
    if (!call.body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = call.body;
    req.prepare_payload();

    stream_.expires_after(kRequestTimeout);
    co_await bhttp::async_write(stream_, req, use_awaitable);
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(stream_, buffer_, res, use_awaitable);
    stream_.expires_never();

    Reply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.body = std::move(res.body());
    if (auto it = res.find(bhttp::field::set_cookie); it != res.end()) {
      std::string_view value = it->value();
      reply.cookie = std::string(value.substr(0, value.find(';')));
    }
    if (!res.keep_alive()) {
      beast::error_code ec;
      stream_.socket().close(ec);
      open_ = false;
    }
    co_return reply;
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  uint16_t port_;
  bool open_ = false;
};

// Runs `spawn(ioc)` to completion on `threads` threads; rethrows the first
// exception any spawned coroutine ended with.
template <typename Spawn>
void RunAll(int threads, Spawn&& spawn) {
  asio::io_context ioc(threads);
  std::exception_ptr first;
  std::mutex mu;
  auto done = [&](std::exception_ptr e) {
    std::lock_guard lock(mu);
    if (e && !first) first = e;
  };
  spawn(ioc, done);
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) extra.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
  if (first) std::rethrow_exception(first);
}

// --- setup -----------------------------------------------------------------

constexpr const char* kSchema = R"({"controls": [{"name": "sentiment", "type": "choice",
  "source": "text", "labels": ["positive", "negative", "neutral"], "multiple": false,
  "required": true}]})";
constexpr const char* kLabels[] = {"positive", "negative", "neutral"};

std::string AnnotatorName(int i) { return "bench-" + std::to_string(i + 1); }
std::string AnnotatorPassword(int i) { return "bench-password-" + std::to_string(i + 1); }

// The JSON of requests and replies is built and read here, outside the
// coroutines: GCC 12 cannot hold the string-literal temporaries of
// nlohmann's initializer lists in a coroutine frame.
std::string LoginBody(const std::string& username, const std::string& password) {
  return json{{"username", username}, {"password", password}}.dump();
}

std::string ProjectBody(const Options& o) {
  return json{{"name", o.name},
              {"schema", json::parse(kSchema)},
              {"settings",
               {{"overlap", o.overlap}, {"lease_seconds", 600}, {"golden_rate", o.golden_rate}}}}
      .dump();
}

std::string UserBody(int i) {
  return json{
      {"username", AnnotatorName(i)}, {"password", AnnotatorPassword(i)}, {"role", "annotator"}}
      .dump();
}

std::string MemberBody(int64_t user_id) { return json{{"user_id", user_id}}.dump(); }

int64_t IdOf(const std::string& body) { return json::parse(body).at("id").get<int64_t>(); }

// The ids of the annotators "bench-1".."bench-N" in a GET /users reply, in
// that order; throws when one is missing.
std::vector<int64_t> AnnotatorIds(const std::string& body, int users) {
  const json listed = json::parse(body);
  std::map<std::string, int64_t> by_name;
  for (const json& u : listed.at("items")) {
    by_name[u.at("username").get<std::string>()] = u.at("id").get<int64_t>();
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < users; ++i) {
    auto it = by_name.find(AnnotatorName(i));
    if (it == by_name.end()) throw std::runtime_error("no user " + AnnotatorName(i));
    ids.push_back(it->second);
  }
  return ids;
}

// N small tasks for the golden set, as one JSON array.
std::string GoldenTasksBody(int n) {
  json tasks = json::array();
  for (int i = 1; i <= n; ++i) {
    tasks.push_back({{"text", "golden task " + std::to_string(i) + ": the expert knows"},
                     {"source", "bench-golden"},
                     {"n", i}});
  }
  return tasks.dump();
}

// The task ids of a GET /projects/{id}/tasks page, and its next cursor ("").
std::vector<int64_t> PageIds(const std::string& body, std::string* cursor) {
  const json page = json::parse(body);
  std::vector<int64_t> ids;
  for (const json& t : page.at("items")) ids.push_back(t.at("id").get<int64_t>());
  const json& next = page.at("next_cursor");
  *cursor = next.is_string() ? next.get<std::string>() : "";
  return ids;
}

// A golden answer: the label annotate submits for the task, so the grades
// cost what real ones cost.
std::string GoldenBody(int64_t task_id) {
  return json{
      {"result",
       {{{"control", "sentiment"}, {"type", "choice"}, {"values", {kLabels[task_id % 3]}}}}}}
      .dump();
}

std::string TokenOf(const std::string& body) {
  return json::parse(body).at("token").get<std::string>();
}

struct Claim {
  int64_t task_id = 0;
  int64_t lease_id = 0;
};

Claim ClaimOf(const std::string& body) {
  const json claim = json::parse(body);
  return {claim.at("task").at("id").get<int64_t>(), claim.at("lease").at("id").get<int64_t>()};
}

// A valid result for the bench schema: one label of the single choice.
std::string SubmitBody(const Claim& claim) {
  return std::string(R"({"result":[{"control":"sentiment","type":"choice","values":[")") +
         kLabels[claim.task_id % 3] + R"("]}],"lease_id":)" + std::to_string(claim.lease_id) +
         R"(,"lead_time_ms":1200})";
}

// Signs in with a password and trades the session for an API token, so the
// measured loop never pays for Argon2.
awaitable<std::string> TokenFor(Connection& conn, const std::string& username,
                                const std::string& password) {
  const Call login_call = Post("/api/v1/auth/login", LoginBody(username, password), "");
  const Reply login = co_await conn.Send(login_call);
  if (login.status != 200 || login.cookie.empty()) throw Unexpected("login " + username, login);
  Call token_call = Post("/api/v1/tokens", R"({"name":"bench"})", "");
  token_call.cookie = login.cookie;
  const Reply token = co_await conn.Send(token_call);
  if (token.status != 201) throw Unexpected("token for " + username, token);
  co_return TokenOf(token.body);
}

awaitable<void> CreateProject(const Options& o, std::string* admin_token, int64_t* project_id) {
  Connection conn(co_await asio::this_coro::executor, o.ports.front());
  *admin_token = co_await TokenFor(conn, o.admin, o.password);
  const Call call = Post("/api/v1/projects", ProjectBody(o), *admin_token);
  const Reply created = co_await conn.Send(call);
  if (created.status != 201) throw Unexpected("create project", created);
  *project_id = IdOf(created.body);
}

// Creates annotators from the shared counter *next until all exist.
awaitable<void> CreateAnnotators(const Options& o, const std::string& admin_token,
                                 int64_t project_id, int* next, std::vector<std::string>* tokens) {
  Connection conn(co_await asio::this_coro::executor, o.ports.front());
  const std::string members = "/api/v1/projects/" + std::to_string(project_id) + "/members";
  // One io thread: the counter needs no lock.
  while (*next < o.users) {
    const int i = (*next)++;
    const std::string name = AnnotatorName(i), password = AnnotatorPassword(i);
    const Call create_call = Post("/api/v1/users", UserBody(i), admin_token);
    const Reply created = co_await conn.Send(create_call);
    if (created.status != 201) throw Unexpected("create " + name, created);
    const Call member_call = Post(members, MemberBody(IdOf(created.body)), admin_token);
    const Reply member = co_await conn.Send(member_call);
    if (member.status != 204) throw Unexpected("add member " + name, member);
    (*tokens)[i] = co_await TokenFor(conn, name, password);
  }
}

// Adds the annotators of an earlier setup to the project.
awaitable<void> AddExistingAnnotators(const Options& o, const std::string& admin_token,
                                      int64_t project_id) {
  Connection conn(co_await asio::this_coro::executor, o.ports.front());
  const Call list_call = Get("/api/v1/users", admin_token);
  const Reply listed = co_await conn.Send(list_call);
  if (listed.status != 200) throw Unexpected("list users", listed);
  const std::string members = "/api/v1/projects/" + std::to_string(project_id) + "/members";
  // A named vector: GCC 12 mishandles a range-for temporary across co_await.
  const std::vector<int64_t> ids = AnnotatorIds(listed.body, o.users);
  for (const int64_t id : ids) {
    const Call member_call = Post(members, MemberBody(id), admin_token);
    const Reply member = co_await conn.Send(member_call);
    if (member.status != 204) throw Unexpected("add member " + std::to_string(id), member);
  }
}

// Adds o.golden_tasks tasks to the (empty) project and makes each golden.
awaitable<void> AddGoldenTasks(const Options& o, const std::string& admin_token,
                               int64_t project_id) {
  Connection conn(co_await asio::this_coro::executor, o.ports.front());
  const std::string tasks = "/api/v1/projects/" + std::to_string(project_id) + "/tasks";
  const Call import_call = Post(tasks, GoldenTasksBody(o.golden_tasks), admin_token);
  const Reply imported = co_await conn.Send(import_call);
  if (imported.status != 201) throw Unexpected("import golden tasks", imported);
  std::vector<int64_t> ids;
  std::string cursor;
  do {
    const Call page_call =
        Get(tasks + "?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor), admin_token);
    const Reply page = co_await conn.Send(page_call);
    if (page.status != 200) throw Unexpected("list golden tasks", page);
    for (const int64_t id : PageIds(page.body, &cursor)) ids.push_back(id);
  } while (!cursor.empty());
  if (static_cast<int>(ids.size()) != o.golden_tasks) {
    throw std::runtime_error("the project holds " + std::to_string(ids.size()) +
                             " tasks, not the " + std::to_string(o.golden_tasks) + " imported");
  }
  for (const int64_t id : ids) {
    const Call golden_call =
        Put("/api/v1/tasks/" + std::to_string(id) + "/golden", GoldenBody(id), admin_token);
    const Reply golden = co_await conn.Send(golden_call);
    if (golden.status != 200) throw Unexpected("golden task " + std::to_string(id), golden);
  }
}

int Setup(const Options& o) {
  if (o.password.empty() || (o.tokens_path.empty() && !o.existing_users) || o.users < 1 ||
      o.overlap < 1 || o.golden_rate < 0 || o.golden_rate > 1 || o.golden_tasks < 0) {
    std::fprintf(stderr,
                 "setup needs --password, --tokens (or --existing-users), --users >= 1, "
                 "--overlap >= 1, --golden-rate in [0, 1] and --golden-tasks >= 0\n");
    return 2;
  }
  std::string admin_token;
  int64_t project_id = 0;
  RunAll(1, [&](asio::io_context& ioc, auto done) {
    asio::co_spawn(ioc, CreateProject(o, &admin_token, &project_id), done);
  });
  if (o.golden_tasks > 0) {
    RunAll(1, [&](asio::io_context& ioc, auto done) {
      asio::co_spawn(ioc, AddGoldenTasks(o, admin_token, project_id), done);
    });
  }
  if (o.existing_users) {
    RunAll(1, [&](asio::io_context& ioc, auto done) {
      asio::co_spawn(ioc, AddExistingAnnotators(o, admin_token, project_id), done);
    });
    std::printf("project=%lld users=%d golden_tasks=%d\n", static_cast<long long>(project_id),
                o.users, o.golden_tasks);
    return 0;
  }
  std::vector<std::string> tokens(o.users);
  int next = 0;
  RunAll(1, [&](asio::io_context& ioc, auto done) {
    for (int i = 0; i < kSetupParallel; ++i) {
      asio::co_spawn(ioc, CreateAnnotators(o, admin_token, project_id, &next, &tokens), done);
    }
  });
  std::ofstream out(o.tokens_path, std::ios::trunc);
  for (const std::string& token : tokens) out << token << '\n';
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", o.tokens_path.c_str());
    return 1;
  }
  std::printf("project=%lld users=%d golden_tasks=%d\n", static_cast<long long>(project_id),
              o.users, o.golden_tasks);
  return 0;
}

// --- load ------------------------------------------------------------------

// What one simulated client saw. Each client owns its own, so recording
// needs no lock even with several io threads.
struct Samples {
  std::vector<double> pair_us, next_us, submit_us;  // annotate
  std::vector<double> request_us;                   // healthz
  int64_t empty_queue = 0;
  int64_t errors = 0;
  std::string first_error;
};

struct Window {
  Clock::time_point from, until;
  Clock::time_point ended;  // when the last client stopped, or `until`
  std::atomic<bool> stop{false};
  std::atomic<int64_t> started{0};
  std::atomic<int> running{0};  // clients not yet stopped
  int64_t max_rounds = 0;

  bool Next() { return !stop && started++ < max_rounds; }
  bool Counts(Clock::time_point begin, Clock::time_point end) const {
    return begin >= from && end <= until;
  }
};

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

awaitable<void> Annotator(const Options& o, uint16_t port, Window& window, const std::string& token,
                          Samples& s) {
  Connection conn(co_await asio::this_coro::executor, port);
  const Call next_call = Post("/api/v1/projects/" + std::to_string(o.project) + "/next", "", token);
  try {
    while (window.Next()) {
      const auto t0 = Clock::now();
      const Reply next = co_await conn.Send(next_call);
      const auto t1 = Clock::now();
      if (next.status == 204) {
        ++s.empty_queue;
        break;
      }
      if (next.status != 200) throw Unexpected("next", next);
      const Claim claim = ClaimOf(next.body);
      const Call submit_call =
          Post("/api/v1/tasks/" + std::to_string(claim.task_id) + "/annotations", SubmitBody(claim),
               token);
      const Reply submitted = co_await conn.Send(submit_call);
      const auto t2 = Clock::now();
      if (submitted.status != 201) throw Unexpected("submit", submitted);
      if (window.Counts(t0, t2)) {
        s.pair_us.push_back(Micros(t2 - t0));
        s.next_us.push_back(Micros(t1 - t0));
        s.submit_us.push_back(Micros(t2 - t1));
      }
    }
  } catch (const std::exception& e) {
    ++s.errors;
    s.first_error = e.what();
  }
  --window.running;
}

awaitable<void> Healthz(uint16_t port, Window& window, Samples& s) {
  Connection conn(co_await asio::this_coro::executor, port);
  const Call healthz_call = Get("/healthz");
  try {
    while (window.Next()) {
      const auto t0 = Clock::now();
      const Reply reply = co_await conn.Send(healthz_call);
      const auto t1 = Clock::now();
      if (reply.status != 200) throw Unexpected("healthz", reply);
      if (window.Counts(t0, t1)) s.request_us.push_back(Micros(t1 - t0));
    }
  } catch (const std::exception& e) {
    ++s.errors;
    s.first_error = e.what();
  }
  --window.running;
}

// Stops the clients at the deadline. Checks every 100 ms whether they all
// stopped early (errors, an empty queue, --max-rounds), so that the rates
// are over the time actually measured.
awaitable<void> StopAt(Window& window) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (Clock::now() < window.until && window.running > 0) {
    timer.expires_at(std::min(window.until, Clock::now() + std::chrono::milliseconds(100)));
    co_await timer.async_wait(use_awaitable);
  }
  window.ended = std::min(Clock::now(), window.until);
  window.stop = true;
}

// The q-quantile in milliseconds, nearest rank.
double QuantileMs(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  const size_t i = std::min(v.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i] / 1000.0;
}

std::vector<std::string> ReadTokens(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> tokens;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) tokens.push_back(line);
  }
  return tokens;
}

int Load(const Options& o) {
  if (o.concurrency < 1 || o.seconds <= 0 || o.warmup < 0 || o.threads < 1) {
    std::fprintf(stderr, "concurrency, seconds and threads must be positive\n");
    return 2;
  }
  const bool annotate = o.mode == "annotate";
  std::vector<std::string> tokens;
  if (annotate) {
    tokens = ReadTokens(o.tokens_path);
    if (o.project <= 0) {
      std::fprintf(stderr, "annotate needs --project\n");
      return 2;
    }
    if (static_cast<int>(tokens.size()) < o.concurrency) {
      std::fprintf(stderr, "annotate: %d annotators need %d distinct users; %s has %zu tokens\n",
                   o.concurrency, o.concurrency, o.tokens_path.c_str(), tokens.size());
      return 2;
    }
  }

  std::vector<Samples> samples(o.concurrency);
  Window window;
  window.max_rounds = o.max_rounds;
  window.running = o.concurrency;
  const auto start = Clock::now();
  window.from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  window.until = window.from + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(o.seconds));
  RunAll(o.threads, [&](asio::io_context& ioc, auto done) {
    for (int i = 0; i < o.concurrency; ++i) {
      const uint16_t port = o.ports[i % o.ports.size()];
      if (annotate) {
        asio::co_spawn(asio::make_strand(ioc), Annotator(o, port, window, tokens[i], samples[i]),
                       done);
      } else {
        asio::co_spawn(asio::make_strand(ioc), Healthz(port, window, samples[i]), done);
      }
    }
    asio::co_spawn(ioc, StopAt(window), done);
  });
  const double seconds = window.ended > window.from
                             ? std::chrono::duration<double>(window.ended - window.from).count()
                             : 0;

  Samples all;
  for (Samples& s : samples) {
    all.pair_us.insert(all.pair_us.end(), s.pair_us.begin(), s.pair_us.end());
    all.next_us.insert(all.next_us.end(), s.next_us.begin(), s.next_us.end());
    all.submit_us.insert(all.submit_us.end(), s.submit_us.begin(), s.submit_us.end());
    all.request_us.insert(all.request_us.end(), s.request_us.begin(), s.request_us.end());
    all.empty_queue += s.empty_queue;
    all.errors += s.errors;
    if (all.first_error.empty()) all.first_error = s.first_error;
  }
  if (!all.first_error.empty()) {
    std::fprintf(stderr, "plumb_bench_load: %lld clients stopped on errors; first: %s\n",
                 static_cast<long long>(all.errors), all.first_error.c_str());
  }
  const double rate =
      seconds > 0 ? (annotate ? all.pair_us.size() : all.request_us.size()) / seconds : 0;
  if (annotate) {
    std::printf(
        "mode=annotate servers=%zu concurrency=%d seconds=%.2f rounds=%zu rounds_per_s=%.1f "
        "calls_per_s=%.1f pair_p50_ms=%.2f pair_p99_ms=%.2f next_p50_ms=%.2f next_p99_ms=%.2f "
        "submit_p50_ms=%.2f submit_p99_ms=%.2f empty_queue=%lld errors=%lld\n",
        o.ports.size(), o.concurrency, seconds, all.pair_us.size(), rate, 2 * rate,
        QuantileMs(all.pair_us, 0.50), QuantileMs(all.pair_us, 0.99), QuantileMs(all.next_us, 0.50),
        QuantileMs(all.next_us, 0.99), QuantileMs(all.submit_us, 0.50),
        QuantileMs(all.submit_us, 0.99), static_cast<long long>(all.empty_queue),
        static_cast<long long>(all.errors));
  } else {
    std::printf(
        "mode=healthz servers=%zu concurrency=%d seconds=%.2f requests=%zu requests_per_s=%.1f "
        "p50_ms=%.2f p99_ms=%.2f errors=%lld\n",
        o.ports.size(), o.concurrency, seconds, all.request_us.size(), rate,
        QuantileMs(all.request_us, 0.50), QuantileMs(all.request_us, 0.99),
        static_cast<long long>(all.errors));
  }
  return all.errors == 0 ? 0 : 1;
}

// --- stats -----------------------------------------------------------------

constexpr int kStatsWarmup = 5;

struct Endpoint {
  std::string name;
  std::string target;
  const char* kind;  // "stats" (the < 100 ms target), "other" (measured beside), "baseline"
};

std::vector<Endpoint> StatsEndpoints(int64_t project_id) {
  const std::string p = "/api/v1/projects/" + std::to_string(project_id);
  return {{"summary", p + "/analytics/summary", "stats"},
          {"labelers", p + "/analytics/labelers", "stats"},
          {"workforces", p + "/analytics/workforces", "stats"},
          {"timeseries", p + "/analytics/timeseries", "stats"},
          {"confusion", p + "/analytics/confusion", "stats"},
          {"samples", p + "/samples?seed=1&size=24", "other"},
          {"disagreements", p + "/disagreements?limit=50", "other"},
          // The same client and connection with a handler that does nothing.
          {"healthz", "/healthz", "baseline"}};
}

struct EndpointTimes {
  std::vector<double> us;
  size_t bytes = 0;     // of the last reply
  double first_ms = 0;  // the first warm-up request (cold caches, a first model fit)
};

awaitable<void> MeasureStats(const Options& o, const std::vector<Endpoint>& endpoints,
                             std::vector<EndpointTimes>* times) {
  Connection conn(co_await asio::this_coro::executor, o.ports.front());
  const Call login_call = Post("/api/v1/auth/login", LoginBody(o.user, o.password), "");
  const Reply login = co_await conn.Send(login_call);
  if (login.status != 200 || login.cookie.empty()) throw Unexpected("login " + o.user, login);
  for (size_t e = 0; e < endpoints.size(); ++e) {
    Call call = Get(endpoints[e].target);
    call.cookie = login.cookie;
    EndpointTimes& t = (*times)[e];
    Clock::time_point deadline = Clock::time_point::max();
    for (int i = 0; i < kStatsWarmup + o.requests && Clock::now() < deadline; ++i) {
      if (i == kStatsWarmup) {
        deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.seconds));
      }
      const auto t0 = Clock::now();
      const Reply reply = co_await conn.Send(call);
      const auto t1 = Clock::now();
      if (reply.status != 200) throw Unexpected("GET " + call.target, reply);
      if (i == 0) t.first_ms = Micros(t1 - t0) / 1000;
      if (i >= kStatsWarmup) t.us.push_back(Micros(t1 - t0));
      t.bytes = reply.body.size();
    }
  }
}

int Stats(const Options& o) {
  if (o.user.empty() || o.password.empty() || o.project <= 0 || o.requests < 1 || o.seconds <= 0) {
    std::fprintf(stderr,
                 "stats needs --user, --password, --project, --requests >= 1 and --seconds > 0\n");
    return 2;
  }
  const std::vector<Endpoint> endpoints = StatsEndpoints(o.project);
  std::vector<EndpointTimes> times(endpoints.size());
  RunAll(1, [&](asio::io_context& ioc, auto done) {
    asio::co_spawn(ioc, MeasureStats(o, endpoints, &times), done);
  });
  for (size_t e = 0; e < endpoints.size(); ++e) {
    const EndpointTimes& t = times[e];
    const double max_us = *std::max_element(t.us.begin(), t.us.end());
    std::printf(
        "mode=stats endpoint=%s kind=%s requests=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f "
        "first_ms=%.2f reply_bytes=%zu\n",
        endpoints[e].name.c_str(), endpoints[e].kind, t.us.size(), QuantileMs(t.us, 0.50),
        QuantileMs(t.us, 0.99), max_us / 1000, t.first_ms, t.bytes);
  }
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: plumb_bench_load setup|annotate|healthz|stats --port P[,P2...] "
               "[--password PW] [--admin NAME] [--user NAME] [--users N] [--tokens FILE] "
               "[--name NAME] [--overlap N] [--golden-rate R] [--golden-tasks N] "
               "[--existing-users] [--project ID] "
               "[--concurrency C] [--seconds S] [--warmup S] [--max-rounds N] [--threads T] "
               "[--requests N]\n");
  return 2;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  if (argc < 2) return false;
  o->mode = argv[1];
  try {
    for (int i = 2; i < argc; i += 2) {
      if (std::string(argv[i]) == "--existing-users") {
        o->existing_users = true;
        --i;  // a flag: no value
        continue;
      }
      if (i + 1 >= argc) return false;
      const std::string name = argv[i], value = argv[i + 1];
      if (name == "--port") {
        o->ports.clear();
        for (size_t at = 0; at <= value.size();) {
          size_t comma = value.find(',', at);
          if (comma == std::string::npos) comma = value.size();
          const int port = std::stoi(value.substr(at, comma - at));
          if (port < 1 || port > 65535) return false;
          o->ports.push_back(static_cast<uint16_t>(port));
          at = comma + 1;
        }
      } else if (name == "--admin") {
        o->admin = value;
      } else if (name == "--user") {
        o->user = value;
      } else if (name == "--requests") {
        o->requests = std::stoi(value);
      } else if (name == "--password") {
        o->password = value;
      } else if (name == "--users") {
        o->users = std::stoi(value);
      } else if (name == "--tokens") {
        o->tokens_path = value;
      } else if (name == "--name") {
        o->name = value;
      } else if (name == "--overlap") {
        o->overlap = std::stoi(value);
      } else if (name == "--golden-rate") {
        o->golden_rate = std::stod(value);
      } else if (name == "--golden-tasks") {
        o->golden_tasks = std::stoi(value);
      } else if (name == "--project") {
        o->project = std::stoll(value);
      } else if (name == "--concurrency") {
        o->concurrency = std::stoi(value);
      } else if (name == "--seconds") {
        o->seconds = std::stod(value);
      } else if (name == "--warmup") {
        o->warmup = std::stod(value);
      } else if (name == "--max-rounds") {
        o->max_rounds = std::stoll(value);
      } else if (name == "--threads") {
        o->threads = std::stoi(value);
      } else {
        return false;
      }
    }
  } catch (const std::exception&) {
    return false;
  }
  return !o->ports.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) return Usage();
  try {
    if (options.mode == "setup") return Setup(options);
    if (options.mode == "annotate" || options.mode == "healthz") return Load(options);
    if (options.mode == "stats") return Stats(options);
    return Usage();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plumb_bench_load: %s\n", e.what());
    return 1;
  }
}
