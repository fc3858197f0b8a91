#include "umlab/lab/compile/layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <queue>
#include <utility>

namespace umlab::lab {

namespace {

// Room for one drawn element: the GUI's icon is 48 px with its name (up to about 100 px wide)
// below it, so elements whose centres are 2 * kElementRadius apart neither touch nor hide a label.
constexpr double kElementRadius = 55;
constexpr double kIconSize = 48;        // the GUI's node icon
constexpr double kLeafHeight = 82;      // an icon and two lines of text under it, top to bottom
constexpr double kRingSlot = 105;       // between neighbours on a ring of leaves, centre to centre: at
                                        // least hypot(a short name's width, kLeafHeight) + 10
constexpr double kFirstRing = 160;      // a parent's first ring: room for a link label between
constexpr double kRingGap = 110;        // between rings: a leaf's icon and name, and a little room
constexpr double kMaxSingleRing = 450;  // up to here one ring grows, rather than a second starting
constexpr double kEdgeGap = 150;        // a core link's length beyond its two discs: two labels fit
constexpr double kDiscGap = 20;         // the least room between two discs
constexpr double kComponentGap = 150;   // between the boxes of two components
constexpr double kMargin = 60;          // around the picture
constexpr double kMaxFan = std::numbers::pi; // the widest angle a hanging tree's children take
constexpr double kFoldGain = 1.3;      // a ring is folded into rows when that shows it this much larger
constexpr size_t kFullStressLimit = 300;  // up to this many core vertices, every pair is a term
constexpr size_t kSparsePivots = 100;     // above it, terms to these pivots stand for the rest
constexpr size_t kMdsPivots = 50;         // pivots of the starting position (PivotMDS)
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

struct Point {
  double x = 0;
  double y = 0;
};

double distance(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

/// The lab as a simple undirected graph. Vertex v < nodeCount is node v; the others are the
/// declared segments (`segmentOf`). A point-to-point link joins its two nodes directly: its
/// implicit segment is not drawn, so it is not a vertex. Monitors count as links; taps do not.
struct LabGraph {
  size_t nodeCount = 0;
  std::vector<SegmentIndex> segmentOf;         ///< by vertex - nodeCount
  std::vector<uint32_t> vertexOfSegment;       ///< by SegmentIndex; kNone for point-to-point ones
  std::vector<std::vector<uint32_t>> adjacent; ///< sorted, no duplicates, no loops
  std::vector<size_t> nameLength;              ///< by node (the others are not leaves)

  size_t size() const { return adjacent.size(); }
  bool isNode(uint32_t v) const { return v < nodeCount; }
};

LabGraph buildGraph(const Topology& t) {
  LabGraph g;
  g.nodeCount = t.nodes.size();
  for (const Node& n : t.nodes)
    g.nameLength.push_back(n.name.size());
  g.vertexOfSegment.assign(t.segments.size(), kNone);
  for (SegmentIndex s = 0; s < t.segments.size(); ++s)
    if (t.segments[s].type != SegmentType::PointToPoint) {
      g.vertexOfSegment[s] = static_cast<uint32_t>(g.nodeCount + g.segmentOf.size());
      g.segmentOf.push_back(s);
    }
  g.adjacent.resize(g.nodeCount + g.segmentOf.size());
  auto join = [&](uint32_t a, uint32_t b) {
    if (a == b)
      return;
    g.adjacent[a].push_back(b);
    g.adjacent[b].push_back(a);
  };
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint) {
      if (seg.members.size() == 2)
        join(seg.members[0].node, seg.members[1].node);
      continue;
    }
    for (const auto* members : {&seg.members, &seg.monitors})
      for (const Member& m : *members)
        join(m.node, g.vertexOfSegment[s]);
  }
  for (const Trunk& tr : t.trunks)
    if (g.vertexOfSegment[tr.a] != kNone && g.vertexOfSegment[tr.b] != kNone)
      join(g.vertexOfSegment[tr.a], g.vertexOfSegment[tr.b]);
  for (auto& a : g.adjacent) {
    std::sort(a.begin(), a.end());
    a.erase(std::unique(a.begin(), a.end()), a.end());
  }
  return g;
}

/// A leaf is a node with one neighbour (a segment, or over point-to-point links one node) that
/// has other neighbours too; it is drawn around that neighbour, its parent. kNone for the core.
std::vector<uint32_t> findLeafParents(const LabGraph& g) {
  std::vector<uint32_t> parent(g.size(), kNone);
  for (uint32_t v = 0; v < g.nodeCount; ++v)
    if (g.adjacent[v].size() == 1) {
      const uint32_t u = g.adjacent[v][0];
      if (!g.isNode(u) || g.adjacent[u].size() >= 2)
        parent[v] = u;
    }
  return parent;
}

// ---- rings of leaves ------------------------------------------------------------------------
//
// Leaves sit on concentric rings around their parent, kRingSlot apart (centre to centre) along
// each ring: a slot is the angle 2α(r), α(r) = asin(kRingSlot / 2r). Around each direction to a
// core neighbour a sector of half-angle α is kept free, so that a leaf at its edge is
// kRingSlot / 2 from the link and a slot from the leaf on the sector's other side. Each free arc
// holds floor(length / 2α) + 1 leaves (one at each end), so a ring holds at least
// floor(π / α - k) leaves however its k neighbours lie (overlapping sectors only leave more
// room); that sizes the parent's disc before the core is laid out.

struct Ring {
  double radius = 0;
  size_t count = 0;
  double slot = kRingSlot;
};

/// What a parent's leaves need: the distance between two on a ring, and the first ring's radius.
struct RingSpacing {
  double slot = kRingSlot;
  double first = kFirstRing;
};

/// Leaves named up to `nameLength` characters: two of them, side by side, above each other or
/// anywhere between, keep their icons and names apart (a name is drawn about 8 px a character,
/// bold 12 px, under the icon).
RingSpacing ringSpacing(size_t nameLength) {
  const double width = std::max(kIconSize, 8.0 * static_cast<double>(nameLength) + 8);
  const double slot = std::max(kRingSlot, std::hypot(width, kLeafHeight) + 10);
  return RingSpacing{slot, std::max(kFirstRing, kFirstRing + (slot - kRingSlot) / 2)};
}

double slotHalfAngle(double radius, double slot) { return std::asin(std::min(1.0, slot / (2 * radius))); }

size_t ringCapacity(double radius, size_t blocked, double slot) {
  const double c = std::numbers::pi / slotHalfAngle(radius, slot) - static_cast<double>(blocked);
  return c <= 0 ? 0 : static_cast<size_t>(std::floor(c + 1e-9));
}

/// One ring when it holds every leaf within kMaxSingleRing, else full rings from the inside out.
std::vector<Ring> planRings(size_t leaves, size_t blocked, RingSpacing spacing) {
  std::vector<Ring> rings;
  if (leaves == 0)
    return rings;
  const size_t slots = leaves + blocked;
  const double slot = spacing.slot;
  double single = spacing.first;
  if (slots >= 2)
    single = std::max(spacing.first, slot / (2 * std::sin(std::numbers::pi / static_cast<double>(slots))) + 0.5);
  if (single <= std::max(kMaxSingleRing, spacing.first) && ringCapacity(single, blocked, slot) >= leaves)
    return {Ring{single, leaves, slot}};
  for (double r = spacing.first; leaves > 0; r += std::max(kRingGap, slot - kRingSlot + kRingGap)) {
    const size_t take = std::min(leaves, ringCapacity(r, blocked, slot));
    if (take > 0)
      rings.push_back(Ring{r, take, slot});
    leaves -= take;
  }
  return rings;
}

double discRadius(const std::vector<Ring>& rings) {
  return rings.empty() ? kElementRadius : rings.back().radius + kElementRadius;
}

/// Places `leaves` (in order) on `rings` around `centre`, clear of the directions to `neighbours`.
void placeLeaves(Point centre, const std::vector<Point>& neighbours, const std::vector<Ring>& rings,
                 const std::vector<uint32_t>& leaves, std::vector<Point>& pos) {
  std::vector<double> directions;
  for (Point n : neighbours) {
    double a = std::atan2(n.y - centre.y, n.x - centre.x);
    directions.push_back(a < 0 ? a + 2 * std::numbers::pi : a);
  }
  std::sort(directions.begin(), directions.end());
  size_t next = 0;
  auto put = [&](double angle, double radius) {
    pos[leaves[next++]] = Point{centre.x + radius * std::cos(angle), centre.y + radius * std::sin(angle)};
  };
  for (const Ring& ring : rings) {
    const double alpha = slotHalfAngle(ring.radius, ring.slot), step = 2 * alpha;
    // The free arcs between blocked sectors, each [start, start + length), and what each holds.
    struct Arc {
      double start = 0, length = 0;
      size_t capacity = 0, count = 0;
      double share = 0;
    };
    std::vector<Arc> arcs;
    size_t capacity = 0;
    for (size_t i = 0; i < directions.size(); ++i) {
      const double from = directions[i] + alpha;
      const double to = (i + 1 < directions.size() ? directions[i + 1] : directions[0] + 2 * std::numbers::pi) - alpha;
      if (to - from <= 1e-9)
        continue;
      Arc arc{from, to - from, static_cast<size_t>(std::floor((to - from) / step + 1e-9)) + 1};
      capacity += arc.capacity;
      arcs.push_back(arc);
    }
    if (arcs.empty()) { // no neighbour (or, planRings permitting, none free): the whole circle,
      for (size_t j = 0; j < ring.count; ++j) // from the top, clockwise on screen
        put(-std::numbers::pi / 2 + 2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(ring.count),
            ring.radius);
      continue;
    }
    // Largest remainder: each arc gets leaves in proportion to what it holds.
    size_t given = 0;
    for (Arc& a : arcs) {
      const double exact = static_cast<double>(ring.count) * static_cast<double>(a.capacity) / static_cast<double>(capacity);
      a.count = std::min(a.capacity, static_cast<size_t>(exact));
      a.share = exact - static_cast<double>(a.count);
      given += a.count;
    }
    while (given < ring.count) {
      Arc* best = nullptr;
      for (Arc& a : arcs)
        if (a.count < a.capacity && (!best || a.share > best->share))
          best = &a;
      if (!best) // cannot happen: planRings counted the worst case; crowd the widest arc
        best = &*std::max_element(arcs.begin(), arcs.end(), [](const Arc& x, const Arc& y) { return x.length < y.length; });
      ++best->count;
      best->share = -1;
      ++given;
    }
    for (const Arc& a : arcs) {
      for (size_t j = 0; j < a.count; ++j) {
        const double m = static_cast<double>(a.count);
        if (a.length / m >= step) // evenly, with half a gap at each end
          put(a.start + a.length * (static_cast<double>(j) + 0.5) / m, ring.radius);
        else if (a.count == 1)
          put(a.start + a.length / 2, ring.radius);
        else // from end to end
          put(a.start + a.length * static_cast<double>(j) / (m - 1), ring.radius);
      }
    }
  }
}

// ---- the core: stress majorization ----------------------------------------------------------
//
// The base of the core (see below) is placed by stress majorization (Gansner,
// Koren and North, "Graph drawing by stress majorization", 2004), started from PivotMDS (Brandes
// and Pich, "Eigensolver methods for progressive multidimensional scaling", 2006): the distance
// between two vertices in the picture should be their shortest-path distance in a graph whose
// edges are as long as the two discs they join plus kEdgeGap. Up to kFullStressLimit vertices
// every pair is a term; above it each vertex has terms to its neighbours and to kSparsePivots
// pivots standing for the vertices nearest them (the sparse stress model of Ortmann, Klimenta and
// Brandes, "A sparse stress model", 2016), so a step costs O(n · pivots), not O(n²).

struct CoreGraph {
  std::vector<std::vector<std::pair<uint32_t, double>>> edges; ///< neighbour, ideal length
  size_t size() const { return edges.size(); }
};

std::vector<double> shortestPaths(const CoreGraph& g, uint32_t source) {
  std::vector<double> d(g.size(), std::numeric_limits<double>::infinity());
  using Entry = std::pair<double, uint32_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  d[source] = 0;
  queue.emplace(0, source);
  while (!queue.empty()) {
    auto [du, u] = queue.top();
    queue.pop();
    if (du > d[u])
      continue;
    for (auto [v, length] : g.edges[u])
      if (du + length < d[v]) {
        d[v] = du + length;
        queue.emplace(d[v], v);
      }
  }
  return d;
}

/// Pivots in max-min order (each the vertex farthest from those before it, from vertex 0), and
/// their distance rows.
void choosePivots(const CoreGraph& g, size_t count, std::vector<uint32_t>& pivots, std::vector<std::vector<double>>& rows) {
  std::vector<double> nearest(g.size(), std::numeric_limits<double>::infinity());
  uint32_t next = 0;
  for (size_t k = 0; k < count; ++k) {
    pivots.push_back(next);
    rows.push_back(shortestPaths(g, next));
    double far = -1;
    for (uint32_t v = 0; v < g.size(); ++v) {
      nearest[v] = std::min(nearest[v], rows.back()[v]);
      if (nearest[v] > far) {
        far = nearest[v];
        next = v;
      }
    }
  }
}

/// PivotMDS: classical scaling of the distances to the first pivots, through the two leading
/// eigenvectors of CᵀC (power iteration, deterministic start).
std::vector<Point> pivotMds(const std::vector<std::vector<double>>& rows, size_t n) {
  const size_t k = std::min(rows.size(), kMdsPivots);
  std::vector<double> c(n * k), colMean(k, 0), rowMean(n, 0);
  double mean = 0;
  for (size_t p = 0; p < k; ++p)
    for (size_t i = 0; i < n; ++i) {
      const double sq = rows[p][i] * rows[p][i];
      c[i * k + p] = sq;
      colMean[p] += sq / static_cast<double>(n);
      rowMean[i] += sq / static_cast<double>(k);
      mean += sq / static_cast<double>(n * k);
    }
  for (size_t i = 0; i < n; ++i)
    for (size_t p = 0; p < k; ++p)
      c[i * k + p] = -0.5 * (c[i * k + p] - rowMean[i] - colMean[p] + mean);
  std::vector<double> b(k * k, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t p = 0; p < k; ++p)
      for (size_t q = 0; q < k; ++q)
        b[p * k + q] += c[i * k + p] * c[i * k + q];
  std::vector<std::vector<double>> vectors;
  for (int e = 0; e < 2; ++e) {
    std::vector<double> v(k), w(k);
    for (size_t p = 0; p < k; ++p)
      v[p] = e == 0 ? 1.0 + 0.01 * static_cast<double>(p) : std::cos(static_cast<double>(p));
    for (int iteration = 0; iteration < 200; ++iteration) {
      for (const auto& u : vectors) { // deflation: stay orthogonal to the first eigenvector
        double dot = 0;
        for (size_t p = 0; p < k; ++p)
          dot += u[p] * v[p];
        for (size_t p = 0; p < k; ++p)
          v[p] -= dot * u[p];
      }
      double norm = 0;
      for (size_t p = 0; p < k; ++p) {
        w[p] = 0;
        for (size_t q = 0; q < k; ++q)
          w[p] += b[p * k + q] * v[q];
        norm += w[p] * w[p];
      }
      norm = std::sqrt(norm);
      if (norm < 1e-12)
        break;
      for (size_t p = 0; p < k; ++p)
        v[p] = w[p] / norm;
    }
    vectors.push_back(v);
  }
  std::vector<Point> pos(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t p = 0; p < k; ++p) {
      pos[i].x += c[i * k + p] * vectors[0][p];
      pos[i].y += c[i * k + p] * vectors[1][p];
    }
  return pos;
}

struct Term {
  uint32_t other = 0;
  double length = 0;
  double weight = 0;
};

std::vector<Point> stressLayout(const CoreGraph& g) {
  const size_t n = g.size();
  if (n == 1)
    return {Point{}};
  const bool full = n <= kFullStressLimit;
  std::vector<uint32_t> pivots;
  std::vector<std::vector<double>> rows;
  choosePivots(g, full ? n : kSparsePivots, pivots, rows);

  std::vector<std::vector<Term>> terms(n);
  if (full) {
    for (size_t p = 0; p < n; ++p)
      for (uint32_t i = 0; i < n; ++i)
        if (pivots[p] != i)
          terms[i].push_back(Term{pivots[p], rows[p][i], 1 / (rows[p][i] * rows[p][i])});
  } else {
    // Each vertex belongs to the region of its nearest pivot. A pivot's term with vertex i
    // weighs as many vertices of its region as lie within half the distance to i.
    std::vector<uint32_t> region(n, 0);
    std::vector<uint8_t> isPivot(n, 0);
    for (uint32_t i = 0; i < n; ++i)
      for (size_t p = 1; p < pivots.size(); ++p)
        if (rows[p][i] < rows[region[i]][i])
          region[i] = static_cast<uint32_t>(p);
    std::vector<std::vector<double>> regionDistances(pivots.size());
    for (uint32_t i = 0; i < n; ++i)
      regionDistances[region[i]].push_back(rows[region[i]][i]);
    for (size_t p = 0; p < pivots.size(); ++p) {
      std::sort(regionDistances[p].begin(), regionDistances[p].end());
      isPivot[pivots[p]] = 1;
    }
    for (uint32_t i = 0; i < n; ++i) {
      for (size_t p = 0; p < pivots.size(); ++p) {
        if (pivots[p] == i)
          continue;
        const double d = rows[p][i];
        const auto& rd = regionDistances[p];
        const double s = static_cast<double>(std::upper_bound(rd.begin(), rd.end(), d / 2) - rd.begin());
        terms[i].push_back(Term{pivots[p], d, std::max(1.0, s) / (d * d)});
      }
      for (auto [j, length] : g.edges[i])
        if (!isPivot[j])
          terms[i].push_back(Term{j, length, 1 / (length * length)});
    }
  }

  // The start: PivotMDS scaled to the distances it should have (by the factor that minimizes
  // the stress), with a small deterministic nudge so that a symmetric graph does not start on a
  // line and stay there.
  std::vector<Point> pos = pivotMds(rows, n);
  auto fitScale = [&] {
    double num = 0, den = 0;
    for (uint32_t i = 0; i < n; ++i)
      for (const Term& t : terms[i]) {
        const double d = distance(pos[i], pos[t.other]);
        num += t.weight * t.length * d;
        den += t.weight * d * d;
      }
    if (den > 0 && num > 0)
      for (Point& p : pos)
        p = Point{p.x * num / den, p.y * num / den};
  };
  fitScale();
  const double nudge = 0.01 * g.edges[0].front().second;
  for (uint32_t i = 0; i < n; ++i)
    pos[i] = Point{pos[i].x + nudge * std::cos(2.399963 * i), pos[i].y + nudge * std::sin(2.399963 * i)};
  fitScale();

  size_t termCount = 0;
  for (const auto& t : terms)
    termCount += t.size();
  // Until no vertex moves by more than half a pixel or 1/10 000 of the picture's size, within a
  // budget of about 10 million term updates (at least 30 steps, at most 300).
  const size_t iterations = std::clamp<size_t>(10'000'000 / std::max<size_t>(termCount, 1), 30, 300);
  double size = 0;
  for (uint32_t i = 0; i < n; ++i)
    size = std::max(size, distance(pos[i], pos[0]));
  const double settled = std::max(0.5, 1e-4 * size);
  for (size_t it = 0; it < iterations; ++it) {
    double moved = 0;
    for (uint32_t i = 0; i < n; ++i) {
      double sx = 0, sy = 0, sw = 0;
      for (const Term& t : terms[i]) {
        const Point o = pos[t.other];
        const double d = distance(pos[i], o);
        sx += t.weight * o.x;
        sy += t.weight * o.y;
        if (d > 1e-9) {
          sx += t.weight * t.length * (pos[i].x - o.x) / d;
          sy += t.weight * t.length * (pos[i].y - o.y) / d;
        }
        sw += t.weight;
      }
      if (sw <= 0)
        continue;
      const Point next{sx / sw, sy / sw};
      moved = std::max(moved, distance(next, pos[i]));
      pos[i] = next;
    }
    if (moved < settled)
      break;
  }
  return pos;
}

/// Calls visit(a, b, distance, needed) for each pair of discs closer than their radii plus
/// kDiscGap: sort by left edge, sweep along x.
template <typename Visit>
void forEachOverlap(const std::vector<Point>& pos, const std::vector<double>& radius, Visit&& visit) {
  const size_t n = pos.size();
  std::vector<uint32_t> order(n);
  for (uint32_t i = 0; i < n; ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const double la = pos[a].x - radius[a], lb = pos[b].x - radius[b];
    return la != lb ? la < lb : a < b;
  });
  for (size_t ia = 0; ia < n; ++ia) {
    const uint32_t a = order[ia];
    for (size_t ib = ia + 1; ib < n; ++ib) {
      const uint32_t b = order[ib];
      if (pos[b].x - radius[b] >= pos[a].x + radius[a] + kDiscGap)
        break;
      const double need = radius[a] + radius[b] + kDiscGap, d = distance(pos[a], pos[b]);
      if (d < need)
        visit(a, b, d, need);
    }
  }
}

/// Pushes apart discs that come closer than their radii plus kDiscGap, then, if some still do,
/// scales the whole picture until none does.
void separateDiscs(std::vector<Point>& pos, const std::vector<double>& radius) {
  auto overlapping = [&](auto&& visit) { forEachOverlap(pos, radius, visit); };
  for (int it = 0; it < 100; ++it) {
    bool moved = false;
    overlapping([&](uint32_t a, uint32_t b, double d, double need) {
      double dx = pos[b].x - pos[a].x, dy = pos[b].y - pos[a].y;
      if (d < 1e-6) {
        const double angle = 2.399963 * (a * 31 + b);
        dx = std::cos(angle);
        dy = std::sin(angle);
        d = 1;
      }
      const double push = (need - std::min(d, need)) / 2 + 0.01;
      pos[a] = Point{pos[a].x - dx / d * push, pos[a].y - dy / d * push};
      pos[b] = Point{pos[b].x + dx / d * push, pos[b].y + dy / d * push};
      moved = true;
    });
    if (!moved)
      return;
  }
  double factor = 1;
  overlapping([&](uint32_t, uint32_t, double d, double need) { factor = std::max(factor, need / std::max(d, 1e-6)); });
  for (Point& p : pos)
    p = Point{p.x * factor, p.y * factor};
}

// ---- components -----------------------------------------------------------------------------

struct Box {
  double minX = 0, minY = 0, maxX = 0, maxY = 0;
  double width() const { return maxX - minX + 2 * kElementRadius; } // room for the outermost elements
  double height() const { return maxY - minY + 2 * kElementRadius; }
};

// The core of a component is drawn in two parts. Peeling it (taking away vertices with one
// core neighbour until none is left) leaves its cycles, the base, which stress majorization
// places; what was peeled hangs off the base in trees (a LAN behind its router, a branch of
// routers with their LANs) drawn outwards from it (a balloon layout): a vertex's children go
// round it at one distance, each in a wedge wide enough for its own subtree (which lies further
// out), over the widest free angle facing away from the base's centre, at most kMaxFan of it. A
// component without a cycle is one such tree, hung from the vertex peeled last (its centre).

/// One component's core in local indices (0 .. size-1), its discs and its hanging trees.
struct Core {
  std::vector<uint32_t> vertex;                ///< global vertex of each
  std::vector<std::vector<uint32_t>> adjacent; ///< core neighbours, ascending
  std::vector<double> radius;                  ///< the element with its rings of leaves
  std::vector<uint32_t> hangsFrom;             ///< the parent of a peeled vertex; kNone in the base
  std::vector<std::vector<uint32_t>> children; ///< the peeled vertices hanging from each, ascending
  std::vector<uint32_t> peeled;                ///< in peeling order: children before parents
  std::vector<double> width;                   ///< across a vertex's subtree
  std::vector<double> fanDistance;             ///< from a peeled vertex to its children

  size_t size() const { return vertex.size(); }
};

/// How children fit round their parent: a whole circle, a free angle between two links (kept
/// clear of them), or a fan out of a wider one.
enum class Room : uint8_t { Circle, Angle, Fan };

/// The angle each of `children` takes, seen from their parent at `distance`: its own disc and,
/// beside siblings, its subtree's width where that lies, further out (its children fan out
/// within a quarter of kMaxFan either side, on average).
std::vector<double> wedges(const Core& c, const std::vector<uint32_t>& children, double distance) {
  std::vector<double> angle;
  for (uint32_t ch : children) {
    double half = std::asin(std::min(1.0, (2 * c.radius[ch] + kDiscGap) / (2 * distance)));
    if (children.size() > 1) {
      const double further = distance + c.fanDistance[ch] * std::cos(kMaxFan / 4);
      half = std::max(half, std::asin(std::min(1.0, (c.width[ch] + kDiscGap) / (2 * further))));
    }
    angle.push_back(2 * half);
  }
  return angle;
}

/// The least distance (from a link's length up, in steps of 15 %) at which `children` fit
/// round `v` in an angle of `size`.
double fitDistance(const Core& c, uint32_t v, const std::vector<uint32_t>& children, double size, Room room) {
  double d = 0;
  for (uint32_t ch : children)
    d = std::max(d, c.radius[v] + c.radius[ch] + kEdgeGap);
  for (int attempt = 0; attempt < 60; ++attempt, d *= 1.15) {
    const std::vector<double> angle = wedges(c, children, d);
    double need = 0;
    for (double a : angle)
      need += a;
    if (room == Room::Angle)
      need += (angle.front() + angle.back()) / 2; // clear of the links at both ends
    if (need <= size)
      break;
  }
  return d;
}

void peel(Core& c) {
  const size_t n = c.size();
  std::vector<size_t> degree(n);
  std::vector<uint8_t> isGone(n, 0);
  std::queue<uint32_t> queue;
  for (uint32_t i = 0; i < n; ++i) {
    degree[i] = c.adjacent[i].size();
    if (degree[i] <= 1)
      queue.push(i);
  }
  c.hangsFrom.assign(n, kNone);
  while (!queue.empty()) {
    const uint32_t v = queue.front();
    queue.pop();
    isGone[v] = 1;
    c.peeled.push_back(v);
    for (uint32_t u : c.adjacent[v])
      if (!isGone[u]) {
        c.hangsFrom[v] = u;
        if (--degree[u] == 1)
          queue.push(u);
      }
  }
  // Nothing left: a tree. Its last vertex is its root, the base.
  if (c.peeled.size() == n)
    c.peeled.pop_back();
  else
    std::erase_if(c.peeled, [&](uint32_t v) { return c.hangsFrom[v] == kNone; });
  c.children.assign(n, {});
  for (uint32_t v : c.peeled)
    c.children[c.hangsFrom[v]].push_back(v);
  for (auto& ch : c.children)
    std::sort(ch.begin(), ch.end());

  // Sizes from the outside in: a peeled vertex fans its children out away from its parent.
  c.width.resize(n);
  c.fanDistance.assign(n, 0);
  for (uint32_t i = 0; i < n; ++i)
    c.width[i] = 2 * c.radius[i];
  auto measure = [&](uint32_t v) {
    double across = 0;
    for (uint32_t ch : c.children[v])
      across += c.width[ch] + kDiscGap;
    c.width[v] = std::max(c.width[v], across);
  };
  for (uint32_t v : c.peeled) {
    measure(v);
    if (!c.children[v].empty())
      c.fanDistance[v] = fitDistance(c, v, c.children[v], kMaxFan, Room::Fan);
  }
  for (uint32_t i = 0; i < n; ++i)
    if (c.hangsFrom[i] == kNone)
      measure(i);
}

/// Angle of `to` seen from `from`, in [0, 2π).
double angleTo(Point from, Point to) {
  const double a = std::atan2(to.y - from.y, to.x - from.x);
  return a < 0 ? a + 2 * std::numbers::pi : a;
}

/// Places the children of `v` (placed, as are the vertices marked in `placed`) round it, in the
/// widest free angle that faces the direction `outward`, as near to it as that angle allows.
void hangChildren(const Core& c, uint32_t v, const std::vector<uint8_t>& placed, double outward, std::vector<Point>& pos) {
  const std::vector<uint32_t>& children = c.children[v];
  std::vector<double> directions;
  for (uint32_t u : c.adjacent[v])
    if (placed[u])
      directions.push_back(angleTo(pos[v], pos[u]));
  std::sort(directions.begin(), directions.end());
  // The free angle: [start, start + size).
  double start = -std::numbers::pi / 2, size = 2 * std::numbers::pi;
  Room room = Room::Circle;
  if (!directions.empty()) {
    double widest = 0;
    for (size_t i = 0; i < directions.size(); ++i) {
      const double next = i + 1 < directions.size() ? directions[i + 1] : directions[0] + 2 * std::numbers::pi;
      widest = std::max(widest, next - directions[i]);
    }
    double best = -2;
    for (size_t i = 0; i < directions.size(); ++i) {
      const double next = i + 1 < directions.size() ? directions[i + 1] : directions[0] + 2 * std::numbers::pi;
      const double gap = next - directions[i], facing = std::cos(directions[i] + gap / 2 - outward);
      if (gap >= 0.6 * widest && facing > best) {
        best = facing;
        start = directions[i];
        size = gap;
      }
    }
    room = Room::Angle;
    if (size > kMaxFan) { // so that a tree grows outwards, not back round towards the rest
      // The fan's start as near as it can be to centring the fan on `outward`.
      const double spare = size - kMaxFan, full = 2 * std::numbers::pi;
      double offset = std::fmod(std::fmod(outward - kMaxFan / 2 - start, full) + full, full);
      if (offset > spare)
        offset = offset - spare < full - offset ? spare : 0;
      start += offset;
      size = kMaxFan;
      room = Room::Fan;
    }
  }
  const double d = fitDistance(c, v, children, size, room);
  const std::vector<double> angle = wedges(c, children, d);
  double need = 0;
  for (double a : angle)
    need += a;
  if (room == Room::Angle)
    need += (angle.front() + angle.back()) / 2;
  // Round a whole circle the room left is shared out between the children; in an angle it is
  // left at both ends, so that they face its middle.
  const double slack = std::max(0.0, size - need);
  const double share = room == Room::Circle ? slack / static_cast<double>(children.size()) : 0;
  double at = start + (room == Room::Circle ? 0 : slack / 2) + (room == Room::Angle ? angle.front() / 2 : 0);
  for (size_t i = 0; i < children.size(); ++i) {
    const double a = at + (angle[i] + share) / 2;
    pos[children[i]] = Point{pos[v].x + d * std::cos(a), pos[v].y + d * std::sin(a)};
    at += angle[i] + share;
  }
}

// ---- a long ring folded into rows -----------------------------------------------------------
//
// A base that is one long cycle (routers in a ring, each with its LAN hanging off it) drawn as a
// circle leaves the circle's inside empty: 24 LANs of 20 hosts fill a picture 8 000 px across
// with nothing in its middle. Folded into rows the ring fills a screen-shaped box instead. The
// ring runs right along row 0, down the right edge to row 1, left along it, down the left
// (column 1) to row 2, and so on to the last row, then up column 0 back to the start:
//
//     0 ── 0 ── 0 ── 0 ┐        each vertex's tree hangs down from it, except on the
//     │    ┌─ 1 ── 1 ──┘        right edge (it hangs right, clear of the link down),
//     │    └─ 2 ── 2 ──┐        in column 1 between rows (it hangs left, into the gap
//     0 ─ 3 ── 3 ── 3 ─┘        before column 0) and in column 0 (it hangs left)
//
// so no link crosses a tree. Row 0 leaves column 1 empty when there are left turns below it (a
// tree hanging left from row 1 would meet one hanging down from row 0 there). Slots left over
// are taken out of the last row (then the rows above), where the ring runs straight past them.

/// The base's vertices in ring order when the base is one cycle, else nothing.
std::vector<uint32_t> ringOrder(const Core& c, const std::vector<uint32_t>& base) {
  std::vector<uint32_t> ring;
  auto baseNeighbours = [&](uint32_t v) {
    std::vector<uint32_t> b;
    for (uint32_t u : c.adjacent[v])
      if (c.hangsFrom[u] == kNone)
        b.push_back(u);
    return b;
  };
  for (uint32_t v : base)
    if (baseNeighbours(v).size() != 2)
      return ring;
  uint32_t prev = kNone, v = base.front();
  do {
    ring.push_back(v);
    const std::vector<uint32_t> b = baseNeighbours(v);
    const uint32_t next = b[0] != prev ? b[0] : b[1];
    prev = v;
    v = next;
  } while (v != base.front() && ring.size() <= base.size());
  if (ring.size() != base.size())
    ring.clear();
  return ring;
}

/// Hangs the trees of every vertex of `order` (parents before children; the base first, its
/// positions set), each base vertex's towards `baseOutward`, what hangs further out away from its
/// own parent.
void hangTrees(const Core& c, const std::vector<uint32_t>& order, const std::vector<double>& baseOutward,
               std::vector<uint8_t>& placed, std::vector<Point>& pos) {
  for (uint32_t v : order) {
    if (c.children[v].empty())
      continue;
    const double outward = c.hangsFrom[v] == kNone ? baseOutward[v] : angleTo(pos[c.hangsFrom[v]], pos[v]);
    hangChildren(c, v, placed, outward, pos);
    for (uint32_t ch : c.children[v])
      placed[ch] = 1;
  }
}

struct FoldSlot {
  size_t row = 0, column = 0;
  double outward = 0; ///< where the tree hangs
};

/// The slots of `count` vertices of a ring folded into `rows` (even) rows of `columns`, in ring
/// order; empty when they do not hold them.
std::vector<FoldSlot> foldSlots(size_t rows, size_t columns, size_t count) {
  constexpr double kDown = std::numbers::pi / 2, kLeft = std::numbers::pi, kRight = 0;
  const bool leftTurns = rows >= 4;
  // Each row's columns, in the order the ring passes them; column 0 below row 0 comes last.
  std::vector<std::vector<size_t>> rowColumns(rows);
  size_t total = rows - 1;
  for (size_t r = 0; r < rows; ++r) {
    std::vector<size_t>& cols = rowColumns[r];
    if (r == 0)
      cols.push_back(0);
    for (size_t j = r == 0 && leftTurns ? 2 : 1; j < columns; ++j)
      cols.push_back(j);
    if (r % 2 == 1)
      std::reverse(cols.begin(), cols.end());
    total += cols.size();
  }
  if (total < count)
    return {};
  // The surplus comes out of the last row, where the ring enters it (the ring runs straight past
  // the gap), then out of the rows above, in the order the ring passes them: never a turn.
  size_t surplus = total - count;
  for (size_t r = rows; r-- > 0 && surplus > 0;)
    std::erase_if(rowColumns[r], [&](size_t j) {
      const bool drop = surplus > 0 && j >= (r + 1 == rows ? 1u : 2u) && j + 1 < columns;
      surplus -= drop ? 1 : 0;
      return drop;
    });
  if (surplus > 0)
    return {};
  std::vector<FoldSlot> slots;
  for (size_t r = 0; r < rows; ++r)
    for (size_t j : rowColumns[r]) {
      double outward = kDown;
      if (j == 0)
        outward = kLeft;
      else if (j == columns - 1)
        outward = kRight;
      else if (j == 1 && r > 0 && r + 1 < rows)
        outward = kLeft;
      slots.push_back(FoldSlot{r, j, outward});
    }
  for (size_t r = rows - 1; r >= 1; --r)
    slots.push_back(FoldSlot{r, 0, kLeft});
  return slots;
}

/// The core folded into rows (see above) when its base is one ring of at least 6, else nothing.
std::optional<std::vector<Point>> foldRing(const Core& c, const std::vector<uint32_t>& base, const std::vector<uint32_t>& order) {
  const std::vector<uint32_t> ring = ringOrder(c, base);
  if (ring.size() < 6)
    return std::nullopt;
  const size_t n = c.size();
  // Each vertex's tree hung downwards, between links to the left and right: how far it reaches.
  std::vector<Point> local(n);
  std::vector<uint8_t> placed(n, 0);
  std::vector<double> down(n, std::numbers::pi / 2);
  double halfWidth = 0, length = 0, up = 0;
  for (size_t k = 0; k < ring.size(); ++k) {
    const uint32_t v = ring[k], prev = ring[(k + ring.size() - 1) % ring.size()], next = ring[(k + 1) % ring.size()];
    local[v] = Point{0, 0};
    local[prev] = Point{-1000, 0};
    local[next] = Point{1000, 0};
    placed[v] = placed[prev] = placed[next] = 1;
    std::vector<uint32_t> tree{v};
    for (size_t i = 0; i < tree.size(); ++i)
      for (uint32_t ch : c.children[tree[i]])
        tree.push_back(ch);
    hangTrees(c, tree, down, placed, local);
    for (uint32_t u : tree) {
      halfWidth = std::max(halfWidth, std::abs(local[u].x) + c.radius[u]);
      length = std::max(length, local[u].y + c.radius[u]);
      up = std::max(up, c.radius[u] - local[u].y);
      placed[u] = 0;
    }
    placed[prev] = placed[next] = 0;
  }
  const double columnStep = std::max(2 * halfWidth, 2 * up + kEdgeGap - kDiscGap) + kDiscGap;
  const double rowStep = std::max({length + up, 2 * halfWidth, 2 * up + kEdgeGap - kDiscGap}) + kDiscGap;
  const double firstColumn = length + up + kDiscGap; // column 1: room for a tree hanging left
  auto columnX = [&](size_t j) { return j == 0 ? 0.0 : firstColumn + static_cast<double>(j - 1) * columnStep; };

  // The number of rows whose picture fits a 1280 x 820 window largest.
  std::vector<FoldSlot> best;
  double bestFit = 0;
  for (size_t rows = 2; rows <= ring.size(); rows += 2) {
    const size_t held = ring.size() + (rows >= 4 ? 1 : 0);
    const size_t fewest = std::max<size_t>(3, (held + rows - 1) / rows);
    size_t columns = fewest;
    std::vector<FoldSlot> slots;
    while ((slots = foldSlots(rows, columns, ring.size())).empty() && columns < fewest + 2)
      ++columns; // more surplus than the last rows can give up
    if (slots.empty())
      continue;
    const double width = length + columnX(columns - 1) + length;
    const double height = std::max(up, halfWidth) + static_cast<double>(rows - 1) * rowStep + std::max(length, halfWidth);
    const double fit = std::min(1280 / width, 820 / height);
    if (fit > bestFit) {
      bestFit = fit;
      best = std::move(slots);
    }
    if (columns == 3)
      break;
  }
  if (best.empty())
    return std::nullopt;
  std::vector<Point> pos(n);
  std::vector<double> outward(n, 0);
  std::fill(placed.begin(), placed.end(), 0);
  for (size_t k = 0; k < ring.size(); ++k) {
    pos[ring[k]] = Point{columnX(best[k].column), static_cast<double>(best[k].row) * rowStep};
    outward[ring[k]] = best[k].outward;
    placed[ring[k]] = 1;
  }
  hangTrees(c, order, outward, placed, pos);
  return pos;
}

/// How large a picture of these discs shows in a 1280 x 820 window.
double fitScale(const std::vector<Point>& pos, const std::vector<double>& radius) {
  double minX = 0, minY = 0, maxX = 0, maxY = 0;
  for (size_t i = 0; i < pos.size(); ++i) {
    if (i == 0 || pos[i].x - radius[i] < minX)
      minX = pos[i].x - radius[i];
    if (i == 0 || pos[i].y - radius[i] < minY)
      minY = pos[i].y - radius[i];
    if (i == 0 || pos[i].x + radius[i] > maxX)
      maxX = pos[i].x + radius[i];
    if (i == 0 || pos[i].y + radius[i] > maxY)
      maxY = pos[i].y + radius[i];
  }
  return std::min(1280 / std::max(1.0, maxX - minX), 820 / std::max(1.0, maxY - minY));
}

/// Lays out one connected component in its own coordinates.
void layOutComponent(const LabGraph& g, const std::vector<uint32_t>& parent, const std::vector<uint32_t>& members,
                     std::vector<uint32_t>& local, std::vector<Point>& pos) {
  Core c;
  for (uint32_t v : members)
    if (parent[v] == kNone) {
      local[v] = static_cast<uint32_t>(c.size());
      c.vertex.push_back(v);
    }
  const size_t n = c.size();
  std::vector<std::vector<uint32_t>> leaves(n);
  for (uint32_t v : members)
    if (parent[v] != kNone)
      leaves[local[parent[v]]].push_back(v);
  c.adjacent.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t u : g.adjacent[c.vertex[i]])
      if (parent[u] == kNone)
        c.adjacent[i].push_back(local[u]);
  std::vector<std::vector<Ring>> rings(n);
  c.radius.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    size_t nameLength = 0;
    for (uint32_t leaf : leaves[i])
      nameLength = std::max(nameLength, g.nameLength[leaf]);
    rings[i] = planRings(leaves[i].size(), c.adjacent[i].size(), ringSpacing(nameLength));
    c.radius[i] = discRadius(rings[i]);
  }
  peel(c);

  // The base by stress majorization, then the hanging trees, parents before children. When
  // trees collide (a ring of routers, each with its LAN outside the ring), the base is spread
  // out evenly until they do not.
  std::vector<uint32_t> base, baseIndex(n, kNone);
  for (uint32_t i = 0; i < n; ++i)
    if (c.hangsFrom[i] == kNone) {
      baseIndex[i] = static_cast<uint32_t>(base.size());
      base.push_back(i);
    }
  CoreGraph cg;
  cg.edges.resize(base.size());
  std::vector<double> baseRadius(base.size());
  for (uint32_t b = 0; b < base.size(); ++b) {
    baseRadius[b] = c.radius[base[b]];
    for (uint32_t j : c.adjacent[base[b]])
      if (baseIndex[j] != kNone)
        cg.edges[b].emplace_back(baseIndex[j], c.radius[base[b]] + c.radius[j] + kEdgeGap);
  }
  std::vector<Point> basePos = stressLayout(cg);
  separateDiscs(basePos, baseRadius);
  Point centre;
  for (const Point& p : basePos) {
    centre.x += p.x / static_cast<double>(base.size());
    centre.y += p.y / static_cast<double>(base.size());
  }
  std::vector<uint32_t> order = base;
  for (auto it = c.peeled.rbegin(); it != c.peeled.rend(); ++it)
    order.push_back(*it);
  std::vector<Point> corePos(n);
  std::vector<uint8_t> placed(n, 0);
  auto hangAll = [&](double spread) {
    std::fill(placed.begin(), placed.end(), 0);
    for (uint32_t b = 0; b < base.size(); ++b) {
      corePos[base[b]] = Point{centre.x + (basePos[b].x - centre.x) * spread, centre.y + (basePos[b].y - centre.y) * spread};
      placed[base[b]] = 1;
    }
    for (uint32_t v : order) {
      if (c.children[v].empty())
        continue;
      hangChildren(c, v, placed, distance(corePos[v], centre) > 1e-6 ? angleTo(centre, corePos[v]) : -std::numbers::pi / 2,
                   corePos);
      for (uint32_t ch : c.children[v])
        placed[ch] = 1;
    }
  };
  // Only collisions between different trees (or a tree and the base) can be spread apart.
  std::vector<uint32_t> rootOf(n);
  for (uint32_t v : order)
    rootOf[v] = c.hangsFrom[v] == kNone ? v : rootOf[c.hangsFrom[v]];
  auto treesCollide = [&] {
    bool found = false;
    forEachOverlap(corePos, c.radius, [&](uint32_t a, uint32_t b, double, double) { found = found || rootOf[a] != rootOf[b]; });
    return found;
  };
  double spread = 1;
  hangAll(spread);
  while (base.size() > 1 && spread < 8 && treesCollide())
    hangAll(spread *= 1.1);
  // A long ring folded into rows, when that shows much larger than the circle.
  if (std::optional<std::vector<Point>> folded = foldRing(c, base, order))
    if (fitScale(*folded, c.radius) >= kFoldGain * fitScale(corePos, c.radius))
      corePos = std::move(*folded);
  separateDiscs(corePos, c.radius);

  for (uint32_t i = 0; i < n; ++i)
    pos[c.vertex[i]] = corePos[i];
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<Point> neighbours;
    for (uint32_t j : c.adjacent[i])
      neighbours.push_back(corePos[j]);
    placeLeaves(corePos[i], neighbours, rings[i], leaves[i], pos);
  }
}

} // namespace

LabLayout computeLayout(const Topology& t) {
  LabLayout out;
  out.nodes.resize(t.nodes.size());
  out.segments.resize(t.segments.size());
  const LabGraph g = buildGraph(t);
  const std::vector<uint32_t> parent = findLeafParents(g);

  // Connected components, each laid out on its own; the vertices of each in ascending order.
  std::vector<std::vector<uint32_t>> components;
  std::vector<uint8_t> seen(g.size(), 0);
  for (uint32_t start = 0; start < g.size(); ++start) {
    if (seen[start])
      continue;
    std::vector<uint32_t> members{start};
    seen[start] = 1;
    for (size_t i = 0; i < members.size(); ++i)
      for (uint32_t u : g.adjacent[members[i]])
        if (!seen[u]) {
          seen[u] = 1;
          members.push_back(u);
        }
    std::sort(members.begin(), members.end());
    components.push_back(std::move(members));
  }
  std::vector<Point> pos(g.size());
  std::vector<uint32_t> local(g.size(), kNone);
  std::vector<Box> boxes;
  double area = 0, widest = 0;
  for (const auto& members : components) {
    layOutComponent(g, parent, members, local, pos);
    Box b{pos[members[0]].x, pos[members[0]].y, pos[members[0]].x, pos[members[0]].y};
    for (uint32_t v : members) {
      b.minX = std::min(b.minX, pos[v].x);
      b.minY = std::min(b.minY, pos[v].y);
      b.maxX = std::max(b.maxX, pos[v].x);
      b.maxY = std::max(b.maxY, pos[v].y);
    }
    boxes.push_back(b);
    area += (b.width() + kComponentGap) * (b.height() + kComponentGap);
    widest = std::max(widest, b.width());
  }

  // Shelves: the tallest components first, left to right in rows about as wide as a 16:10
  // picture of the total area (the largest component first when heights tie).
  std::vector<size_t> order(components.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return boxes[a].height() > boxes[b].height(); });
  const double rowWidth = std::max(widest, std::sqrt(area * 1.6));
  double x = 0, y = 0, rowHeight = 0;
  for (size_t c : order) {
    const Box& b = boxes[c];
    if (x > 0 && x + b.width() > rowWidth) {
      x = 0;
      y += rowHeight + kComponentGap;
      rowHeight = 0;
    }
    const double dx = x + kMargin - b.minX, dy = y + kMargin - b.minY;
    for (uint32_t v : components[c])
      pos[v] = Point{std::round(pos[v].x + dx), std::round(pos[v].y + dy)};
    x += b.width() + kComponentGap;
    rowHeight = std::max(rowHeight, b.height());
  }

  // The file's hints win; a leaf without one follows its parent's.
  auto hint = [&](uint32_t v) -> const std::optional<Layout>& {
    return g.isNode(v) ? t.nodes[v].layout : t.segments[g.segmentOf[v - g.nodeCount]].layout;
  };
  auto place = [&](uint32_t v) {
    if (const auto& h = hint(v))
      return *h;
    if (parent[v] != kNone)
      if (const auto& ph = hint(parent[v]))
        return Layout{ph->x + pos[v].x - pos[parent[v]].x, ph->y + pos[v].y - pos[parent[v]].y};
    return Layout{pos[v].x, pos[v].y};
  };
  for (uint32_t v = 0; v < g.nodeCount; ++v)
    out.nodes[v] = place(v);
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.layout)
      out.segments[s] = *seg.layout;
    else if (g.vertexOfSegment[s] != kNone)
      out.segments[s] = place(g.vertexOfSegment[s]);
    else if (seg.members.size() == 2) // not drawn: half way between its ends
      out.segments[s] = Layout{std::round((out.nodes[seg.members[0].node].x + out.nodes[seg.members[1].node].x) / 2),
                               std::round((out.nodes[seg.members[0].node].y + out.nodes[seg.members[1].node].y) / 2)};
    else if (!seg.members.empty())
      out.segments[s] = out.nodes[seg.members[0].node];
  }
  for (const auto* v : {&out.nodes, &out.segments})
    for (const Layout& l : *v) {
      out.width = std::max(out.width, l.x + kMargin);
      out.height = std::max(out.height, l.y + kMargin);
    }
  return out;
}

} // namespace umlab::lab
