// dist ops at the binding boundary: the collectives of data-parallel training,
// run inside a program on its worker thread through the collectives table the
// MPI module hands over at distributed.init() (attachCollectives; the main
// addon never links libmpi). See native/OPS.md and docs/distributed.md.
//
// allreduce_grads_start(arena, offset, count, tickets, bucket): queues the sum
//   over ranks of arena[offset, offset + count) and returns at once (backward
//   goes on while it moves); the ticket goes to tickets[bucket].
// allreduce_grads_finish(tickets, buckets): waits for tickets[0, buckets).
// allreduce_f64(buf, n) / allreduce_f32(buf, n): in-place sum, waits.
// broadcast_f32(buffers, root): every buffer from rank `root`, waits.
// scale(x, alpha, n): x *= alpha.
// syncbn_forward_train / syncbn_backward: batchnorm_forward_train/backward with
//   the batch statistics summed over every rank (see kernels/dist.h).
#include <napi.h>

#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/norm_args.h"
#include "kernels/dist.h"
#include "mpi/collectives.h"

namespace gwb {
namespace {

constexpr const char* kMpiCode = "ERR_GRADWELL_MPI";
constexpr std::int64_t kMaxElems = std::int64_t{1} << 40;

std::atomic<const gwmpi::Collectives*> g_collectives{nullptr};

const gwmpi::Collectives& world(const std::string& op) {
  const gwmpi::Collectives* c = g_collectives.load();
  if (!c) {
    throw CodedError(op + ": no distributed world; call distributed.init() under mpirun (with the MPI module built by 'npm run build:mpi') first",
                     kMpiCode, -1);
  }
  return *c;
}

void wait_ticket(const gwmpi::Collectives& c, const std::string& op, std::uint64_t ticket) {
  char err[512];
  if (c.wait(c.ctx, ticket, c.timeout_s, err, sizeof err) != 0) {
    throw CodedError(op + ": " + err, kMpiCode, static_cast<std::int64_t>(ticket));
  }
}

void allreduce_now(const std::string& op, int dtype, void* buf, std::size_t n) {
  const gwmpi::Collectives& c = world(op);
  wait_ticket(c, op, c.start_allreduce(c.ctx, dtype, buf, n));
}

Task allreduce_grads_start(Args& a) {
  F32 arena = a.f32(0, "arena");
  const std::size_t offset = a.dim(1, "offset");
  const std::size_t count = a.dim(2, "count");
  if (offset + count > arena.size) {
    a.range_error("offset + count (" + std::to_string(offset + count) + ") exceeds arena's " + std::to_string(arena.size) +
                  " elements");
  }
  F64 tickets = a.f64(3, "tickets");
  const std::size_t bucket = a.dim(4, "bucket");
  if (bucket >= tickets.size) {
    a.range_error("argument 'bucket' (" + std::to_string(bucket) + ") must be below tickets' length " +
                  std::to_string(tickets.size));
  }
  const std::string op = a.op();
  return [=] {
    const gwmpi::Collectives& c = world(op);
    const std::uint64_t t = c.start_allreduce(c.ctx, gwmpi::kF32, arena.data + offset, count);
    if (t == 0) wait_ticket(c, op, 0);  // throws the reason
    tickets.data[bucket] = static_cast<double>(t);
  };
}

Task allreduce_grads_finish(Args& a) {
  F64 tickets = a.f64(0, "tickets");
  const std::size_t buckets = a.dim(1, "buckets");
  if (buckets > tickets.size) {
    a.range_error("argument 'buckets' (" + std::to_string(buckets) + ") exceeds tickets' length " +
                  std::to_string(tickets.size));
  }
  const std::string op = a.op();
  return [=] {
    const gwmpi::Collectives& c = world(op);
    for (std::size_t b = 0; b < buckets; ++b) {
      const double t = tickets.data[b];
      if (!(t >= 1 && t == std::floor(t))) {
        throw std::runtime_error(op + ": bucket " + std::to_string(b) + " was not started in this run (tickets[" +
                                 std::to_string(b) + "] = " + num_str(t) + ")");
      }
      wait_ticket(c, op, static_cast<std::uint64_t>(t));
      tickets.data[b] = 0;
    }
  };
}

Task allreduce_f64(Args& a) {
  F64 buf = a.f64(0, "buf");
  const std::size_t n = a.dim(1, "n", 0, kMaxElems);
  if (n > buf.size) a.range_error("argument 'n' (" + std::to_string(n) + ") exceeds buf's length " + std::to_string(buf.size));
  const std::string op = a.op();
  return [=] { allreduce_now(op, gwmpi::kF64, buf.data, n); };
}

Task allreduce_f32(Args& a) {
  const std::size_t n = a.dim(1, "n", 0, kMaxElems);
  F32 buf = a.sized(0, "buf", n, shape_of({n}));
  const std::string op = a.op();
  return [=] { allreduce_now(op, gwmpi::kF32, buf.data, n); };
}

Task broadcast_f32(Args& a) {
  std::vector<F32> bufs = a.f32_list(0, "buffers");
  const int root = static_cast<int>(a.integer(1, "root", 0, 1 << 30));
  const std::string op = a.op();
  return [=] {
    const gwmpi::Collectives& c = world(op);
    if (root >= c.size) throw std::range_error(op + ": root " + std::to_string(root) + " is not a rank of this world of " +
                                               std::to_string(c.size));
    std::uint64_t last = 0;
    for (const F32& b : bufs) {
      last = c.start_broadcast(c.ctx, gwmpi::kF32, b.data, b.size, root);
      if (last == 0) wait_ticket(c, op, 0);
    }
    if (last) wait_ticket(c, op, last);
  };
}

Task scale(Args& a) {
  F32 x = a.f32(0, "x");
  const double alpha = a.number(1, "alpha");
  const std::size_t n = a.dim(2, "n", 0, kMaxElems);
  a.require_size(x, "x", n, shape_of({n}));
  return [=] { gw::scale_f32(x.data, n, static_cast<float>(alpha)); };
}

// syncbn_forward_train(x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd, N, C, L, momentum, eps):
// batchnorm_forward_train over the union of every rank's batch (N may differ between ranks).
Task syncbn_forward_train(Args& a) {
  const BnTrainArgs b = bn_train_args(a, true, std::size_t{1} << 40);
  const std::size_t N = b.s.N, C = b.s.C, L = b.s.L;
  const double momentum = b.momentum, eps = b.eps;
  F32 x = b.x, y = b.y, gamma = b.gamma, beta = b.beta, rmean = b.rmean, rvar = b.rvar, smean = b.smean, sinv = b.sinv;
  const std::string op = a.op();
  return [=] {
    std::vector<double> s(C + 1);
    gw::channel_sums(x.data, N, C, L, s.data());
    s[C] = static_cast<double>(N * L);
    allreduce_now(op, gwmpi::kF64, s.data(), C + 1);
    const double count = s[C];
    if (count < 2) throw std::range_error(op + ": expected more than 1 value per channel when training (all ranks together)");
    std::vector<double> mean(C), sq(C);
    for (std::size_t c = 0; c < C; ++c) mean[c] = s[c] / count;
    gw::channel_sq_dev(x.data, mean.data(), N, C, L, sq.data());
    allreduce_now(op, gwmpi::kF64, sq.data(), C);
    for (std::size_t c = 0; c < C; ++c) {
      const double var = sq[c] / count;
      smean.data[c] = static_cast<float>(mean[c]);
      sinv.data[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
      if (rmean.data) rmean.data[c] = static_cast<float>((1.0 - momentum) * rmean.data[c] + momentum * mean[c]);
      if (rvar.data) rvar.data[c] = static_cast<float>((1.0 - momentum) * rvar.data[c] + momentum * var * count / (count - 1));
    }
    gw::channel_normalize(x.data, y.data, smean.data, sinv.data, gamma.data, beta.data, N, C, L);
  };
}

// syncbn_backward(x, dy, dx, gamma, dgamma, dbeta, saveMean, saveInvStd, N, C, L): dx from the sums over every
// rank; dgamma/dbeta are this rank's part (the gradient allreduce sums them).
Task syncbn_backward(Args& a) {
  const NclShape n = ncl_shape(a, 8, std::size_t{1} << 40);
  const std::size_t N = n.N, C = n.C, L = n.L;
  const NormBackwardArgs g = norm_backward_args(a, n.total, n.shape, C, n.cshape, C, n.cshape, "saveMean", "saveInvStd");
  F32 x = g.x, dy = g.dy, dx = g.dx, gamma = g.gamma, dgamma = g.dgamma, dbeta = g.dbeta, smean = g.s1, sinv = g.s2;
  const std::string op = a.op();
  return [=] {
    std::vector<double> s(2 * C + 1);
    gw::channel_backward_sums(x.data, dy.data, smean.data, sinv.data, N, C, L, s.data(), s.data() + C);
    for (std::size_t c = 0; c < C; ++c) {
      if (dbeta.data) dbeta.data[c] = static_cast<float>(s[c]);
      if (dgamma.data) dgamma.data[c] = static_cast<float>(s[C + c]);
    }
    s[2 * C] = static_cast<double>(N * L);
    allreduce_now(op, gwmpi::kF64, s.data(), 2 * C + 1);
    if (dx.data) {
      gw::channel_backward_dx(x.data, dy.data, dx.data, smean.data, sinv.data, gamma.data, s.data(), s.data() + C, s[2 * C],
                              N, C, L);
    }
  };
}

// attachCollectives(external): the table of the MPI module (a tagged External); null detaches.
Napi::Value AttachCollectives(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || info[0].IsNull() || info[0].IsUndefined()) {
    g_collectives.store(nullptr);
    return env.Undefined();
  }
  const napi_type_tag tag{gwmpi::kCollectivesTypeTagLower, gwmpi::kCollectivesTypeTagUpper};
  bool tagged = false;
  if (!info[0].IsExternal() || napi_check_object_type_tag(env, info[0], &tag, &tagged) != napi_ok || !tagged) {
    throw Napi::TypeError::New(env, "attachCollectives: expected the collectives External of gradwell's MPI module, received " +
                                        describe(info[0]));
  }
  const auto* c = info[0].As<Napi::External<gwmpi::Collectives>>().Data();
  if (!c || c->magic != gwmpi::kCollectivesMagic || c->version != gwmpi::kCollectivesVersion) {
    throw Napi::Error::New(env, "attachCollectives: the MPI module's collectives table has version " +
                                    std::to_string(c ? c->version : 0) + ", this addon needs " +
                                    std::to_string(gwmpi::kCollectivesVersion) + "; run 'npm run build:mpi' again");
  }
  g_collectives.store(c);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", c->rank);
  o.Set("size", c->size);
  return o;
}

}  // namespace

void register_dist_exports(Napi::Env env, Napi::Object exports) {
  exports.Set("attachCollectives", Napi::Function::New(env, AttachCollectives, "attachCollectives"));
}

void register_dist_ops() {
  register_op("allreduce_grads_start", allreduce_grads_start);
  register_op("allreduce_grads_finish", allreduce_grads_finish);
  register_op("allreduce_f64", allreduce_f64);
  register_op("allreduce_f32", allreduce_f32);
  register_op("broadcast_f32", broadcast_f32);
  register_op("scale", scale);
  register_op("syncbn_forward_train", syncbn_forward_train);
  register_op("syncbn_backward", syncbn_backward);
}

}  // namespace gwb
