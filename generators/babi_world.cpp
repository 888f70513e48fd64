// bAbI world simulator (see babi_world.h for the idea: a true world and a reader's knowledge, side by side).
//
// Layout: word tables; the World (true state + reader knowledge + sentence templates) used by the tasks
// where people move and handle objects (qa1-3, qa5-8); small dedicated simulations for the tasks whose
// facts are statements rather than actions (qa4, qa9, qa10) or whose sentences name several people at once
// (qa11-13); then generate()/example() on top. qa14-qa20 are not implemented yet (is_supported() is false).
#include "generators/babi_world.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace hsa::babi {
namespace {

using Names = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------------------
// Word tables (bAbI's world_basic and the released en-10k files).

const Names kPeople = {"John", "Mary", "Sandra", "Daniel"};         // qa1-3, qa6-9
const Names kTraders = {"Bill", "Fred", "Jeff", "Mary"};            // qa5
const Names kIndefinitePeople = {"Bill", "Fred", "Julie", "Mary"};  // qa10
const Names kRooms = {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"};
const Names kTownPlaces = {"school", "park", "cinema", "office", "kitchen", "bedroom"};  // qa10
const Names kObjects = {"apple", "football", "milk"};
const Names kNumberWords = {"none", "one", "two", "three", "four", "five", "six"};

// Verb variants. The released data uses "went back to the" without checking that the person was there
// before; so do we, since a reader must treat it as a plain move either way.
const Names kMoveVerbs = {"moved to", "went to", "went back to", "journeyed to", "travelled to"};
const Names kGetVerbs = {"got", "grabbed", "picked up", "took"};
const Names kDropVerbs = {"dropped", "discarded", "put down", "left"};
const Names kGiveVerbs = {"gave", "handed", "passed"};

// A question cut point of a simulated story: the first `nfacts` facts are the sample's context.
struct Question {
  size_t nfacts = 0;
  std::string text;
  std::string answer;
  std::vector<int> support;
};

struct Sim {
  std::vector<std::string> facts;
  std::vector<Question> questions;
  void ask(std::string text, std::string answer, std::vector<int> support) {
    std::erase_if(support, [](int i) { return i < 0; });
    std::sort(support.begin(), support.end());
    support.erase(std::unique(support.begin(), support.end()), support.end());
    questions.push_back({facts.size(), std::move(text), std::move(answer), std::move(support)});
  }
};

// Picks an index in [0, n) different from `not_this`.
int other_than(int not_this, int n, Rng& rng) {
  int v = static_cast<int>(rng.below(static_cast<uint64_t>(n - 1)));
  return v >= not_this ? v + 1 : v;
}

// ---------------------------------------------------------------------------------------------------------
// The world of people, places and objects.

enum class Act { kMove, kGet, kDrop, kGive };

struct Action {
  Act type = Act::kMove;
  int actor = 0;
  int target = 0;      // a location (move) or an object (get, drop, give)
  int recipient = -1;  // give only
};

// What a reader knows about where an object is, and which facts say so.
struct Known {
  int loc = -1;  // -1: unknown
  std::vector<int> support;
};

struct GiveEvent {
  int giver, object, recipient, fact;
};

class World {
 public:
  using Filter = std::function<bool(const Action&)>;

  // True initial placement is random and never stated: a reader knows nothing until the first facts.
  World(const Names& actors, const Names& locations, const Names& objects, Rng& rng)
      : actors_(actors), locations_(locations), objects_(objects) {
    const size_t na = actors.size(), no = objects.size();
    for (size_t i = 0; i < na; ++i) loc_.push_back(static_cast<int>(rng.below(locations.size())));
    for (size_t i = 0; i < no; ++i) obj_loc_.push_back(static_cast<int>(rng.below(locations.size())));
    holder_.assign(no, -1);
    carrying_.assign(na, {});
    known_loc_.assign(na, -1);
    last_move_.assign(na, -1);
    mention_.assign(na, -1);
    handled_.assign(na, false);
    last_release_.assign(na, {-1, -1});
    floor_known_.assign(no, {});
    acquired_.assign(no, -1);
    history_.assign(no, {Known{}});
  }

  const std::vector<std::string>& facts() const { return facts_; }
  int size() const { return static_cast<int>(facts_.size()); }
  const std::string& actor(int a) const { return actors_[a]; }
  const std::string& location(int l) const { return locations_[l]; }
  const std::string& object(int o) const { return objects_[o]; }
  int num_actors() const { return static_cast<int>(actors_.size()); }
  int num_objects() const { return static_cast<int>(objects_.size()); }
  int num_locations() const { return static_cast<int>(locations_.size()); }

  // Validity against the true world.
  bool valid(const Action& a) const {
    switch (a.type) {
      case Act::kMove: return loc_[a.actor] != a.target;
      case Act::kGet: return holder_[a.target] < 0 && obj_loc_[a.target] == loc_[a.actor];
      case Act::kDrop: return holder_[a.target] == a.actor;
      case Act::kGive:
        return holder_[a.target] == a.actor && a.recipient != a.actor && loc_[a.recipient] == loc_[a.actor];
    }
    return false;
  }

  // bAbI's clause sampling: pick an action type uniformly, then up to 100 random argument draws until one is
  // valid (and passes the caller's filter); if none is, pick a type again.
  Action next(const std::vector<Act>& types, Rng& rng, const Filter& ok = {}) const {
    for (int attempt = 0; attempt < 10000; ++attempt) {
      const Act type = rng.pick(types);
      for (int draw = 0; draw < 100; ++draw) {
        Action a;
        a.type = type;
        a.actor = static_cast<int>(rng.below(actors_.size()));
        if (type == Act::kMove) {
          a.target = static_cast<int>(rng.below(locations_.size()));
        } else {
          a.target = static_cast<int>(rng.below(objects_.size()));
          if (type == Act::kGive) a.recipient = static_cast<int>(rng.below(actors_.size()));
        }
        if (valid(a) && (!ok || ok(a))) return a;
      }
    }
    throw std::logic_error("babi: no valid action can be sampled");
  }

  // Performs the action on the true world, writes its sentence, and updates what the reader knows.
  int apply(const Action& a, Rng& rng) {
    const int idx = size();
    const std::string& who = actors_[a.actor];
    std::string s;
    switch (a.type) {
      case Act::kMove:
        s = who + " " + rng.pick(kMoveVerbs) + " the " + locations_[a.target] + ".";
        loc_[a.actor] = a.target;
        known_loc_[a.actor] = a.target;  // every move is told, so a told location stays true until the next
        last_move_[a.actor] = idx;
        break;
      case Act::kGet:
        s = who + " " + rng.pick(kGetVerbs) + " the " + objects_[a.target] + (rng.coin() ? " there." : ".");
        holder_[a.target] = a.actor;
        carrying_[a.actor].push_back(a.target);
        acquired_[a.target] = idx;
        handled_[a.actor] = true;
        break;
      case Act::kDrop:
        s = who + " " + rng.pick(kDropVerbs) + " the " + objects_[a.target] + (rng.coin() ? " there." : ".");
        holder_[a.target] = -1;
        obj_loc_[a.target] = loc_[a.actor];
        std::erase(carrying_[a.actor], a.target);
        // The object stays where its dropper was; the reader knows where only if the dropper was located.
        floor_known_[a.target] = known_loc_[a.actor] < 0 ? Known{} : Known{known_loc_[a.actor], {last_move_[a.actor], idx}};
        last_release_[a.actor] = {acquired_[a.target], idx};
        handled_[a.actor] = true;
        break;
      case Act::kGive:
        s = who + " " + rng.pick(kGiveVerbs) + " the " + objects_[a.target] + " to " + actors_[a.recipient] + ".";
        holder_[a.target] = a.recipient;
        std::erase(carrying_[a.actor], a.target);
        carrying_[a.recipient].push_back(a.target);
        last_release_[a.actor] = {acquired_[a.target], idx};
        acquired_[a.target] = idx;
        gives_.push_back({a.actor, a.target, a.recipient, idx});
        handled_[a.actor] = handled_[a.recipient] = true;
        mention_[a.recipient] = idx;
        break;
    }
    mention_[a.actor] = idx;
    facts_.push_back(std::move(s));
    // Record every change of an object's reader-known location (qa3 asks about the one before the last).
    for (int o = 0; o < num_objects(); ++o) {
      Known k = object_known(o);
      if (k.loc != history_[o].back().loc) history_[o].push_back(std::move(k));
    }
    return idx;
  }

  // Reader knowledge.
  int known_loc(int a) const { return known_loc_[a]; }
  int last_move(int a) const { return last_move_[a]; }
  bool mentioned(int a) const { return mention_[a] >= 0; }
  bool handled_objects(int a) const { return handled_[a]; }
  const std::vector<int>& carrying(int a) const { return carrying_[a]; }
  const std::vector<GiveEvent>& gives() const { return gives_; }
  const std::vector<Known>& history(int o) const { return history_[o]; }

  // A carried object is wherever its holder was last told to be; a dropped one where it was dropped.
  Known object_known(int o) const {
    const int h = holder_[o];
    if (h >= 0) return known_loc_[h] < 0 ? Known{} : Known{known_loc_[h], {acquired_[o], last_move_[h]}};
    return floor_known_[o];
  }

  // Facts that show what `a` carries: how each carried object came to them; when empty-handed, how the last
  // object came and went; for someone who never held anything, the last fact about them.
  std::vector<int> carry_support(int a) const {
    std::vector<int> s;
    for (int o : carrying_[a]) s.push_back(acquired_[o]);
    if (s.empty()) {
      if (last_release_[a].second >= 0) s = {last_release_[a].first, last_release_[a].second};
      else s = {mention_[a]};
    }
    return s;
  }

  std::vector<int> located_actors() const {
    std::vector<int> v;
    for (int a = 0; a < num_actors(); ++a)
      if (known_loc_[a] >= 0) v.push_back(a);
    return v;
  }
  std::vector<int> mentioned_actors() const {
    std::vector<int> v;
    for (int a = 0; a < num_actors(); ++a)
      if (mention_[a] >= 0) v.push_back(a);
    return v;
  }

 private:
  Names actors_, locations_, objects_;
  // True world.
  std::vector<int> loc_;                   // per actor
  std::vector<int> holder_;                // per object, -1 when lying somewhere
  std::vector<int> obj_loc_;               // per object, valid when not held
  std::vector<std::vector<int>> carrying_;  // per actor, in the order picked up
  // Reader knowledge.
  std::vector<int> known_loc_, last_move_, mention_;
  std::vector<bool> handled_;
  std::vector<std::pair<int, int>> last_release_;  // per actor: (fact that brought the object, fact that let it go)
  std::vector<Known> floor_known_;                 // per object, meaningful when not held
  std::vector<int> acquired_;                      // per object: fact by which its holder got it
  std::vector<std::vector<Known>> history_;         // per object: successive distinct reader-known locations
  std::vector<GiveEvent> gives_;
  std::vector<std::string> facts_;
};

// ---------------------------------------------------------------------------------------------------------
// Tasks on the World.

// qa1: 5 rounds of two moves and a question about someone already mentioned.
Sim sim_qa1(Rng& rng, int cap) {
  World w(kPeople, kRooms, {}, rng);
  Sim sim;
  for (int round = 0; round < 5 && w.size() + 2 <= cap; ++round) {
    for (int i = 0; i < 2; ++i) w.apply(w.next({Act::kMove}, rng), rng);
    sim.facts = w.facts();
    const int a = rng.pick(w.located_actors());
    sim.ask("Where is " + w.actor(a) + "?", w.location(w.known_loc(a)), {w.last_move(a)});
  }
  return sim;
}

// qa2 / qa3: actions get, drop, move; once at least 3 statements followed the last question, each further
// statement is followed by a question with probability 1/2 (if one can be asked); 5 questions per story.
Sim sim_objects(int task, Rng& rng, int cap) {
  World w(kPeople, kRooms, kObjects, rng);
  Sim sim;
  int since = 0;
  while (sim.questions.size() < 5 && w.size() < cap) {
    w.apply(w.next({Act::kMove, Act::kGet, Act::kDrop}, rng), rng);
    if (++since < 3 || !rng.coin()) continue;
    std::vector<int> candidates;
    for (int o = 0; o < w.num_objects(); ++o) {
      if (task == 2 && w.object_known(o).loc >= 0) candidates.push_back(o);
      const auto& h = w.history(o);
      if (task == 3 && h.size() >= 2 && h.back().loc >= 0 && h[h.size() - 2].loc >= 0) candidates.push_back(o);
    }
    if (candidates.empty()) continue;
    const int o = rng.pick(candidates);
    sim.facts = w.facts();
    if (task == 2) {
      const Known k = w.object_known(o);
      sim.ask("Where is the " + w.object(o) + "?", w.location(k.loc), k.support);
    } else {
      const auto& h = w.history(o);
      const Known& now = h.back();
      const Known& before = h[h.size() - 2];
      std::vector<int> support = before.support;
      support.insert(support.end(), now.support.begin(), now.support.end());
      sim.ask("Where was the " + w.object(o) + " before the " + w.location(now.loc) + "?", w.location(before.loc),
              support);
    }
    since = 0;
  }
  return sim;
}

// qa5: after a give (not the story's first statement), 0-5 clauses that neither touch that object nor are a
// give by the same giver, then a question about that give. Deviation from bAbI: of the five question forms
// only those are asked whose answer is the same for every earlier give that matches the question, so the
// answer is unique without a "latest event wins" convention.
Sim sim_qa5(Rng& rng, int cap) {
  World w(kTraders, kRooms, kObjects, rng);
  Sim sim;
  const std::vector<Act> types = {Act::kMove, Act::kGet, Act::kGive, Act::kDrop};
  while (sim.questions.size() < 5 && w.size() < cap) {
    const Action g = w.next(types, rng);
    const int gi = w.apply(g, rng);
    if (g.type != Act::kGive || gi < 1) continue;
    const int extra = static_cast<int>(rng.range(0, 5));
    auto unrelated = [&](const Action& b) {
      return !(b.type != Act::kMove && b.target == g.target) && !(b.type == Act::kGive && b.actor == g.actor);
    };
    for (int i = 0; i < extra && w.size() < cap; ++i) w.apply(w.next(types, rng, unrelated), rng);
    const std::string A = w.actor(g.actor), B = w.actor(g.recipient), O = w.object(g.target);
    struct Form {
      std::string q, a;
      bool ok;
    };
    // A form is usable when every give matching its question has the same answer as this one.
    auto all_same = [&](auto matches, auto value) {
      for (const GiveEvent& e : w.gives())
        if (matches(e) && value(e) != value(GiveEvent{g.actor, g.target, g.recipient, gi})) return false;
      return true;
    };
    const std::vector<Form> forms = {
        {"What did " + A + " give to " + B + "?", O,
         all_same([&](const GiveEvent& e) { return e.giver == g.actor && e.recipient == g.recipient; },
                  [](const GiveEvent& e) { return e.object; })},
        {"Who gave the " + O + " to " + B + "?", A,
         all_same([&](const GiveEvent& e) { return e.object == g.target && e.recipient == g.recipient; },
                  [](const GiveEvent& e) { return e.giver; })},
        {"Who did " + A + " give the " + O + " to?", B,
         all_same([&](const GiveEvent& e) { return e.giver == g.actor && e.object == g.target; },
                  [](const GiveEvent& e) { return e.recipient; })},
        {"Who received the " + O + "?", B,
         all_same([&](const GiveEvent& e) { return e.object == g.target; }, [](const GiveEvent& e) { return e.recipient; })},
        {"Who gave the " + O + "?", A,
         all_same([&](const GiveEvent& e) { return e.object == g.target; }, [](const GiveEvent& e) { return e.giver; })},
    };
    std::vector<const Form*> usable;
    for (const Form& f : forms)
      if (f.ok) usable.push_back(&f);
    if (usable.empty()) continue;
    const Form* f = rng.pick(usable);
    std::string answer = f->a;
    std::transform(answer.begin(), answer.end(), answer.begin(), [](unsigned char c) { return std::tolower(c); });
    sim.facts = w.facts();
    sim.ask(f->q, answer, {gi});
  }
  return sim;
}

// qa6: mostly moves (objects are noise, as in bAbI); after at least two statements, a question with
// probability 3/4 per statement; "Is X in the L?" about a located person, yes or no with equal odds.
Sim sim_qa6(Rng& rng, int cap) {
  World w(kPeople, kRooms, kObjects, rng);
  Sim sim;
  int since = 0;
  while (sim.questions.size() < 5 && w.size() < cap) {
    w.apply(w.next({Act::kMove, Act::kMove, Act::kMove, Act::kGet, Act::kDrop}, rng), rng);
    if (++since < 2 || rng.uniform() >= 0.75) continue;
    const auto located = w.located_actors();
    if (located.empty()) continue;
    const int a = rng.pick(located);
    const bool yes = rng.coin();
    const int l = yes ? w.known_loc(a) : other_than(w.known_loc(a), w.num_locations(), rng);
    sim.facts = w.facts();
    sim.ask("Is " + w.actor(a) + " in the " + w.location(l) + "?", yes ? "yes" : "no", {w.last_move(a)});
    since = 0;
  }
  return sim;
}

// qa7 (counting) / qa8 (lists): moves, gets, drops and gives; after at least two statements, a question with
// probability 1/3 per statement, about someone mentioned, mostly about someone who has handled objects.
Sim sim_carrying(int task, Rng& rng, int cap) {
  World w(kPeople, kRooms, kObjects, rng);
  Sim sim;
  int since = 0;
  while (sim.questions.size() < 5 && w.size() < cap) {
    w.apply(w.next({Act::kMove, Act::kGet, Act::kDrop, Act::kGive}, rng), rng);
    if (++since < 2 || rng.uniform() >= 1.0 / 3) continue;
    std::vector<int> handlers;
    for (int a : w.mentioned_actors())
      if (w.handled_objects(a)) handlers.push_back(a);
    const int a = (!handlers.empty() && rng.uniform() < 0.75) ? rng.pick(handlers) : rng.pick(w.mentioned_actors());
    const auto& held = w.carrying(a);
    std::string answer;
    if (task == 7) {
      answer = kNumberWords[held.size()];
    } else if (held.empty()) {
      answer = "nothing";
    } else {
      for (size_t i = 0; i < held.size(); ++i) answer += (i ? "," : "") + w.object(held[i]);
    }
    sim.facts = w.facts();
    sim.ask(task == 7 ? "How many objects is " + w.actor(a) + " carrying?" : "What is " + w.actor(a) + " carrying?",
            answer, w.carry_support(a));
    since = 0;
  }
  return sim;
}

// ---------------------------------------------------------------------------------------------------------
// Tasks whose facts are statements about the world rather than actions in it.

// qa4: three places on a north-south or east-west line, two facts relating the adjacent pairs (each told
// from either side), one question answered by one fact.
Sim sim_qa4(Rng& rng) {
  static const std::string kAxes[2][2] = {{"north", "south"}, {"west", "east"}};
  Sim sim;
  const auto& axis = kAxes[rng.below(2)];  // axis[0] lies before axis[1] along the line
  const auto picked = rng.sample_distinct(kRooms.size(), 3);
  const std::string line[3] = {kRooms[picked[0]], kRooms[picked[1]], kRooms[picked[2]]};
  // Relation i: (subject, direction, reference) for the pair (line[i], line[i+1]), told from a random side.
  struct Rel {
    std::string x, dir, y;
  };
  std::vector<Rel> rels;
  for (int i = 0; i < 2; ++i) {
    if (rng.coin()) rels.push_back({line[i], axis[0], line[i + 1]});
    else rels.push_back({line[i + 1], axis[1], line[i]});
  }
  if (rng.coin()) std::swap(rels[0], rels[1]);
  for (const Rel& r : rels) sim.facts.push_back("The " + r.x + " is " + r.dir + " of the " + r.y + ".");
  // Ask about one fact, either as told or turned around, in one of the two question forms.
  const int f = static_cast<int>(rng.below(2));
  Rel r = rels[f];
  if (rng.coin()) r = {r.y, r.dir == axis[0] ? axis[1] : axis[0], r.x};
  if (rng.coin()) sim.ask("What is " + r.dir + " of the " + r.y + "?", r.x, {f});
  else sim.ask("What is the " + r.x + " " + r.dir + " of?", r.y, {f});
  return sim;
}

// qa9 (simple negation) and qa10 (indefinite knowledge): 5 rounds of two statements and a question. A person's
// latest statement is all a reader knows of them: a definite place, "not there" (qa9) or "one of two" (qa10).
Sim sim_statements(int task, Rng& rng) {
  const Names& people = task == 9 ? kPeople : kIndefinitePeople;
  const Names& places = task == 9 ? kRooms : kTownPlaces;
  const int np = static_cast<int>(places.size());
  enum Kind { kAt, kNotAt, kEither };
  struct Latest {
    Kind kind = kAt;
    int a = -1, b = -1;  // kAt: a; kNotAt: a; kEither: a, b
    int fact = -1;
  };
  std::vector<int> truth;
  for (size_t i = 0; i < people.size(); ++i) truth.push_back(static_cast<int>(rng.below(places.size())));
  std::vector<Latest> latest(people.size());
  Sim sim;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 2; ++i) {
      const int p = static_cast<int>(rng.below(people.size()));
      const int idx = static_cast<int>(sim.facts.size());
      const std::string& who = people[p];
      const double u = rng.uniform();
      if (u < 0.5) {  // a definite place: told as a move or as a plain statement
        truth[p] = other_than(truth[p], np, rng);
        sim.facts.push_back(rng.coin() ? who + " is in the " + places[truth[p]] + "."
                                       : who + " " + rng.pick(kMoveVerbs) + " the " + places[truth[p]] + ".");
        latest[p] = {kAt, truth[p], -1, idx};
      } else if (task == 9 && u < 0.75) {  // "no longer": they were there and have gone somewhere unsaid
        const int was = truth[p];
        truth[p] = other_than(was, np, rng);
        sim.facts.push_back(who + " is no longer in the " + places[was] + ".");
        latest[p] = {kNotAt, was, -1, idx};
      } else if (task == 9) {  // "not": a place where they are not
        const int not_here = other_than(truth[p], np, rng);
        sim.facts.push_back(who + " is not in the " + places[not_here] + ".");
        latest[p] = {kNotAt, not_here, -1, idx};
      } else {  // qa10 "either": they went to one of two places, and the reader is told both
        truth[p] = other_than(truth[p], np, rng);
        const int decoy = other_than(truth[p], np, rng);
        const bool truth_first = rng.coin();
        const int first = truth_first ? truth[p] : decoy, second = truth_first ? decoy : truth[p];
        sim.facts.push_back(who + " is either in the " + places[first] + " or the " + places[second] + ".");
        latest[p] = {kEither, first, second, idx};
      }
    }
    std::vector<int> told;
    for (size_t p = 0; p < people.size(); ++p)
      if (latest[p].fact >= 0) told.push_back(static_cast<int>(p));
    const int p = rng.pick(told);
    const Latest& l = latest[p];
    int place = 0;
    std::string answer;
    if (l.kind == kAt) {  // yes or no, equally likely
      const bool yes = rng.coin();
      place = yes ? l.a : other_than(l.a, np, rng);
      answer = yes ? "yes" : "no";
    } else if (l.kind == kNotAt) {  // only the place denied is decided
      place = l.a;
      answer = "no";
    } else {  // one of the two: maybe; any other place: no
      if (rng.coin()) {
        place = rng.coin() ? l.a : l.b;
        answer = "maybe";
      } else {
        do place = static_cast<int>(rng.below(places.size()));
        while (place == l.a || place == l.b);
        answer = "no";
      }
    }
    sim.ask("Is " + people[p] + " in the " + places[place] + "?", answer, {l.fact});
  }
  return sim;
}

// qa11 (coreference), qa12 (conjunction), qa13 (compound coreference): 5 rounds of two moves and a question.
// qa11 moves one named person and often continues with "Then he/she ..." about them; qa12 moves pairs
// ("Mary and John went to the ..."); qa13 moves pairs and often continues with "Then they ...". A pronoun
// always refers to the people of the sentence just before it, so its support is that sentence and itself.
Sim sim_pairs(int task, Rng& rng) {
  static const Names kStarters = {"Then", "After that", "Afterwards", "Following that"};
  const int n = static_cast<int>(kPeople.size());
  std::vector<int> truth, known(n, -1);
  for (int p = 0; p < n; ++p) truth.push_back(static_cast<int>(rng.below(kRooms.size())));
  std::vector<std::vector<int>> why(n);
  std::vector<int> group;  // the people of the previous sentence
  Sim sim;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 2; ++i) {
      const int idx = static_cast<int>(sim.facts.size());
      const bool pronoun = i == 1 && task != 12 && rng.uniform() < 0.75;
      if (!pronoun) {
        if (task == 11) {
          group = {static_cast<int>(rng.below(n))};
        } else {
          const auto two = rng.sample_distinct(n, 2);
          group = {static_cast<int>(two[0]), static_cast<int>(two[1])};
        }
      }
      int place;  // somewhere none of them is now
      do place = static_cast<int>(rng.below(kRooms.size()));
      while (std::any_of(group.begin(), group.end(), [&](int p) { return truth[p] == place; }));
      std::string subject;
      if (pronoun) {
        // John and Daniel are men, Mary and Sandra women (bAbI's world_basic).
        const bool male = kPeople[group[0]] == "John" || kPeople[group[0]] == "Daniel";
        const std::string who = group.size() == 2 ? "they" : male ? "he" : "she";
        subject = rng.pick(kStarters) + " " + who;
      } else {
        subject = kPeople[group[0]];
        if (group.size() == 2) subject += " and " + kPeople[group[1]];
      }
      sim.facts.push_back(subject + " " + rng.pick(kMoveVerbs) + " the " + kRooms[place] + ".");
      for (int p : group) {
        truth[p] = known[p] = place;
        why[p] = pronoun ? std::vector<int>{idx - 1, idx} : std::vector<int>{idx};
      }
    }
    // Usually about someone of the last sentence, otherwise about anyone located so far.
    std::vector<int> located;
    for (int p = 0; p < n; ++p)
      if (known[p] >= 0) located.push_back(p);
    const int p = rng.coin() ? rng.pick(group) : rng.pick(located);
    sim.ask("Where is " + kPeople[p] + "?", kRooms[known[p]], why[p]);
  }
  return sim;
}

Sim simulate(int task, Rng& rng, int cap) {
  switch (task) {
    case 1: return sim_qa1(rng, cap);
    case 2:
    case 3: return sim_objects(task, rng, cap);
    case 4: return sim_qa4(rng);
    case 5: return sim_qa5(rng, cap);
    case 6: return sim_qa6(rng, cap);
    case 7:
    case 8: return sim_carrying(task, rng, cap);
    case 9:
    case 10: return sim_statements(task, rng);
    case 11:
    case 12:
    case 13: return sim_pairs(task, rng);
    default: throw std::invalid_argument("babi: task qa" + std::to_string(task) + " is not supported");
  }
}

Story cut(int task, const Sim& sim, const Question& q) {
  Story s;
  s.task = task;
  s.facts.assign(sim.facts.begin(), sim.facts.begin() + static_cast<std::ptrdiff_t>(q.nfacts));
  s.question = q.text;
  s.answer = q.answer;
  s.supporting = q.support;
  return s;
}

// Stories are re-simulated until they hold a question within [lo, hi] facts.
Story sample(int task, Rng& rng, int lo, int hi) {
  if (!is_supported(task)) throw std::invalid_argument("babi: task qa" + std::to_string(task) + " is not supported");
  for (int attempt = 0; attempt < 100000; ++attempt) {
    const Sim sim = simulate(task, rng, hi);
    std::vector<const Question*> fit;
    for (const Question& q : sim.questions)
      if (static_cast<int>(q.nfacts) >= lo && static_cast<int>(q.nfacts) <= hi) fit.push_back(&q);
    if (!fit.empty()) return cut(task, sim, *rng.pick(fit));
  }
  throw std::logic_error("babi: could not simulate a story for qa" + std::to_string(task));
}

}  // namespace

bool is_supported(int task) { return task >= 1 && task <= 13; }

int max_facts(int task) {
  // BABILong README, "facts per task" (bAbI en-10k).
  static const int kMax[21] = {0, 10, 68, 32, 2, 126, 26, 52, 50, 10, 10, 10, 10, 10, 10, 8, 8, 8, 8, 5, 10};
  if (task < 1 || task > 20) throw std::invalid_argument("babi: no task qa" + std::to_string(task));
  return kMax[task];
}

// qa3 needs at least a pick-up and two moves, and BABILong's qa3 samples start at 4 facts.
Story generate(int task, Rng& rng) { return sample(task, rng, task == 3 ? 4 : 1, max_facts(task)); }

Story example(int task, Rng& rng) { return sample(task, rng, task == 3 ? 4 : 2, std::min(6, max_facts(task))); }

const std::vector<std::string>& label_set(int task) {
  static const std::vector<std::vector<std::string>> kLabels = {
      {},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bill", "fred", "jeff", "mary", "apple", "football", "milk"},
      {"yes", "no"},
      {"none", "one", "two", "three"},
      {"nothing", "apple", "football", "milk"},
      {"yes", "no"},
      {"yes", "no", "maybe"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
      {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"},
  };
  static const std::vector<std::string> kEmpty;
  if (task < 1 || task >= static_cast<int>(kLabels.size())) return kEmpty;
  return kLabels[task];
}

const std::vector<std::string>& vocabulary() {
  static const std::vector<std::string> kVocabulary = [] {
    std::vector<std::string> v;
    for (const Names* list : {&kPeople, &kTraders, &kIndefinitePeople, &kRooms, &kTownPlaces, &kObjects}) {
      for (const std::string& w : *list) {
        std::string lower = w;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        v.push_back(lower);
      }
    }
    for (const char* w : {"north", "south", "east", "west"}) v.push_back(w);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return kVocabulary;
}

}  // namespace hsa::babi
