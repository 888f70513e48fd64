// Synthetic English-like prose for haystacks: sentence() draws one of many hand-written sentence patterns
// and fills its slots from small lexicons grouped by meaning (landscape, buildings, trades and their crafts,
// objects, animals, weather), all written for this project.
//
// The one idea: meaning lives in the grouping (a potter shapes jugs from clay with a wheel; carts rumble along
// lanes, ships drift into harbors) and grammar lives in a tiny morphology (a/an, plurals, past tense,
// participles, comparatives), so every draw reads as plausible if dull prose, while the product of pattern
// and slot choices (well over 10^12 sentences) makes repeats vanishingly rare. The lexicons leave out all bAbI
// story vocabulary (its places, objects, animals, shapes, directions, motivations, names, and its movement and
// transfer verbs), so background text can never be read as a fact of a story.
#include "generators/prose.h"

#include <cctype>
#include <initializer_list>
#include <span>

namespace hsa::prose {
namespace {

using SV = std::string_view;
using List = std::span<const SV>;

SV pick(Rng& r, List l) { return l[r.below(l.size())]; }
bool chance(Rng& r, int percent) { return static_cast<int>(r.below(100)) < percent; }

// Joins the non-empty parts with single spaces.
std::string J(std::initializer_list<SV> parts) {
  std::string s;
  for (SV p : parts) {
    if (p.empty()) continue;
    if (!s.empty()) s += ' ';
    s += p;
  }
  return s;
}

bool is_vowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }
bool ends_with(SV w, SV s) { return w.size() >= s.size() && w.substr(w.size() - s.size()) == s; }
bool starts_with(SV w, SV s) { return w.size() >= s.size() && w.substr(0, s.size()) == s; }

int vowel_groups(SV w) {
  // A final 'e' after a consonant is silent (safe, large, simple), unless it is the whole vowel (be).
  if (w.size() > 2 && w.back() == 'e' && !is_vowel(w[w.size() - 2])) w.remove_suffix(1);
  int groups = 0;
  bool prev = false;
  for (char c : w) {
    bool v = is_vowel(c);
    if (v && !prev) ++groups;
    prev = v;
  }
  return groups;
}

// One-syllable consonant-vowel-consonant words double their last letter: plan -> planned, big -> bigger.
bool doubles_final(SV w) {
  size_t n = w.size();
  if (n < 3) return false;
  char c = w[n - 1];
  if (is_vowel(c) || c == 'w' || c == 'x' || c == 'y') return false;
  if (!is_vowel(w[n - 2]) || is_vowel(w[n - 3])) return false;
  return vowel_groups(w) == 1;
}

bool consonant_y(SV w) { return w.size() >= 2 && w.back() == 'y' && !is_vowel(w[w.size() - 2]); }

struct Irregular {
  SV base, past, participle;
};
constexpr Irregular kIrregularVerbs[] = {
    {"bear", "bore", "borne"},       {"become", "became", "become"}, {"begin", "began", "begun"},
    {"bend", "bent", "bent"},        {"bind", "bound", "bound"},     {"blow", "blew", "blown"},
    {"break", "broke", "broken"},    {"build", "built", "built"},    {"buy", "bought", "bought"},
    {"choose", "chose", "chosen"},   {"cling", "clung", "clung"},    {"come", "came", "come"},
    {"creep", "crept", "crept"},     {"cut", "cut", "cut"},          {"dig", "dug", "dug"},
    {"draw", "drew", "drawn"},       {"drink", "drank", "drunk"},    {"eat", "ate", "eaten"},
    {"fall", "fell", "fallen"},      {"feed", "fed", "fed"},         {"feel", "felt", "felt"},
    {"find", "found", "found"},      {"fly", "flew", "flown"},       {"forget", "forgot", "forgotten"},
    {"freeze", "froze", "frozen"},   {"grind", "ground", "ground"},  {"grow", "grew", "grown"},
    {"hang", "hung", "hung"},        {"hear", "heard", "heard"},     {"hide", "hid", "hidden"},
    {"hold", "held", "held"},        {"keep", "kept", "kept"},       {"know", "knew", "known"},
    {"lay", "laid", "laid"},         {"lead", "led", "led"},         {"lie", "lay", "lain"},
    {"light", "lit", "lit"},         {"make", "made", "made"},       {"mean", "meant", "meant"},
    {"meet", "met", "met"},          {"prefer", "preferred", "preferred"}, {"read", "read", "read"},
    {"rebuild", "rebuilt", "rebuilt"}, {"ring", "rang", "rung"},    {"run", "ran", "run"},
    {"say", "said", "said"},         {"see", "saw", "seen"},         {"seek", "sought", "sought"},
    {"sell", "sold", "sold"},        {"set", "set", "set"},          {"sew", "sewed", "sewn"},
    {"shake", "shook", "shaken"},    {"shine", "shone", "shone"},    {"shut", "shut", "shut"},
    {"sing", "sang", "sung"},        {"sink", "sank", "sunk"},       {"sit", "sat", "sat"},
    {"sleep", "slept", "slept"},     {"slide", "slid", "slid"},      {"speak", "spoke", "spoken"},
    {"spend", "spent", "spent"},     {"spin", "spun", "spun"},       {"spread", "spread", "spread"},
    {"stand", "stood", "stood"},     {"stick", "stuck", "stuck"},    {"strike", "struck", "struck"},
    {"string", "strung", "strung"},  {"sweep", "swept", "swept"},    {"swim", "swam", "swum"},
    {"swing", "swung", "swung"},     {"teach", "taught", "taught"},  {"tell", "told", "told"},
    {"think", "thought", "thought"}, {"throw", "threw", "thrown"},   {"wear", "wore", "worn"},
    {"weave", "wove", "woven"},      {"weep", "wept", "wept"},       {"win", "won", "won"},
    {"wind", "wound", "wound"},      {"write", "wrote", "written"},
};

const Irregular* find_irregular(SV verb) {
  for (const auto& e : kIrregularVerbs)
    if (e.base == verb) return &e;
  return nullptr;
}

std::string regular_past(SV v) {
  std::string s(v);
  if (s.back() == 'e') return s + "d";
  if (consonant_y(s)) return s.substr(0, s.size() - 1) + "ied";
  if (doubles_final(s)) return s + s.back() + "ed";
  return s + "ed";
}

// -er / -est for short adjectives, "more" / "most" for long ones.
std::string graded(SV a, SV suffix, SV word) {
  if (a == "good") return suffix == "er" ? "better" : "best";
  if (a == "bad") return suffix == "er" ? "worse" : "worst";
  int g = vowel_groups(a);
  if (g == 0) g = 1;  // dry, shy
  bool short_form =
      g == 1 || (g == 2 && (a.back() == 'y' || ends_with(a, "le") || ends_with(a, "ow") || ends_with(a, "er")));
  if (!short_form) return J({word, a});
  std::string s(a);
  if (s.back() == 'e') return s + std::string(suffix.substr(1));
  if (consonant_y(s)) return s.substr(0, s.size() - 1) + "i" + std::string(suffix);
  if (doubles_final(s)) return s + s.back() + std::string(suffix);
  return s + std::string(suffix);
}

// Finishes a sentence: capital first letter, final period.
std::string finish(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  s += '.';
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Lexicons. Every word here was chosen by hand; none is bAbI story vocabulary.

constexpr SV kLandAdj[] = {"quiet", "green", "narrow", "wide", "misty", "distant", "rocky", "sunlit", "grassy",
    "frozen", "shallow", "deep", "empty", "silent", "peaceful", "windy", "muddy", "golden", "wooded", "barren",
    "lonely", "gentle", "broad", "hidden", "shadowy", "fertile", "damp", "open", "ancient", "sleepy", "lush",
    "stony", "marshy", "pale", "long", "dry", "still", "soft"};
constexpr SV kPlace[] = {"valley", "meadow", "hill", "ridge", "plain", "marsh", "moor", "heath", "forest", "wood",
    "orchard", "vineyard", "pasture", "field", "lake", "pond", "bay", "shore", "coast", "cliff", "canyon", "gorge",
    "glen", "hollow", "grove", "thicket", "swamp", "dune", "plateau", "estuary", "lagoon", "inlet", "fen", "slope",
    "clearing", "riverbank", "hillside", "headland", "common", "upland"};
constexpr SV kOpenPlace[] = {"field", "meadow", "hill", "marsh", "pasture", "dune", "slope", "orchard",
    "vineyard", "moor", "hillside", "heath", "plain", "upland"};
constexpr SV kHighPlace[] = {"hill", "ridge", "mountain", "cliff", "dune", "headland", "forest", "peak", "fell",
    "crag", "moor"};
constexpr SV kRiver[] = {"river", "stream", "brook", "creek", "canal", "millstream", "channel"};
constexpr SV kRiverAdj[] = {"slow", "swift", "narrow", "wide", "shallow", "deep", "muddy", "clear", "cold",
    "brown", "green", "silver", "quiet", "noisy", "winding", "lazy", "gentle", "dark", "little", "old"};
constexpr SV kRiverVerb[] = {"wind", "flow", "curve", "run", "rush", "tumble", "meander", "slip", "bend",
    "twist", "spill", "murmur"};
constexpr SV kSettle[] = {"village", "town", "city", "hamlet", "port", "fishing village", "market town",
    "mill town", "harbor town", "mountain village", "river town", "mining town", "cathedral town"};
constexpr SV kSettleAdj[] = {"small", "quiet", "old", "busy", "sleepy", "distant", "nearby", "little",
    "neighboring", "coastal", "crowded", "ancient", "prosperous", "windswept", "tidy", "humble"};

constexpr SV kStruct[] = {"bridge", "tower", "mill", "barn", "chapel", "church", "cottage", "inn", "tavern",
    "lighthouse", "warehouse", "workshop", "granary", "stable", "farmhouse", "bakery", "forge", "library",
    "museum", "fountain", "gatehouse", "watchtower", "windmill", "boathouse", "shed", "cabin", "manor", "castle",
    "monastery", "courthouse", "storehouse", "pier", "wharf", "aqueduct", "archway", "greenhouse", "theater",
    "station", "customhouse", "tollhouse", "dovecote", "observatory", "brewery", "sawmill", "watermill"};
constexpr SV kStructAdj[] = {"old", "ancient", "crooked", "narrow", "tall", "wooden", "stone", "brick",
    "crumbling", "sturdy", "weathered", "handsome", "empty", "quiet", "forgotten", "famous", "modest", "humble",
    "grand", "little", "new", "white", "gray", "red", "faded", "leaning", "abandoned", "lonely", "squat", "low",
    "gloomy", "cheerful", "elegant", "plain", "solid", "drafty"};
constexpr SV kStructVerb[] = {"paint", "repair", "inspect", "measure", "sketch", "admire", "describe", "clean",
    "restore", "decorate", "mend", "rebuild", "guard", "study", "whitewash", "draw", "build", "praise", "survey",
    "strengthen", "photograph"};
constexpr SV kPart[] = {"roof", "window", "door", "wall", "beam", "step", "shutter", "chimney", "tile",
    "railing", "arch", "stair", "floorboard", "pillar", "balcony", "porch", "weathervane", "gutter", "doorframe",
    "hinge", "column", "gable", "bench"};
constexpr SV kMadePart[] = {"door", "beam", "shutter", "floorboard", "railing", "stair", "pillar", "step",
    "wall", "gate", "bench", "column", "roof", "window frame", "lintel"};
constexpr SV kBuildMaterial[] = {"oak", "pine", "cedar", "stone", "brick", "slate", "iron", "granite", "marble",
    "timber", "elm", "limestone", "sandstone", "larch", "flint"};
constexpr SV kPartState[] = {"cracked", "worn", "faded", "crooked", "mossy", "dusty", "weathered", "broken",
    "damp", "loose", "rusty", "stained", "peeling", "sagging", "chipped", "warped", "uneven", "scratched",
    "blackened", "rotten", "bent"};
constexpr SV kLookAdj[] = {"grand", "handsome", "peaceful", "tidy", "sturdy", "new", "bright", "cheerful",
    "proud", "solid", "elegant", "noble", "charming", "perfect", "splendid", "pretty", "neat", "impressive"};

constexpr SV kTrade[] = {"carpenter", "weaver", "potter", "baker", "miller", "farmer", "fisherman", "sailor",
    "blacksmith", "mason", "merchant", "painter", "poet", "scholar", "clerk", "doctor", "teacher", "student",
    "soldier", "captain", "pilot", "cook", "tailor", "cobbler", "jeweler", "glassblower", "brewer", "butcher",
    "miner", "sculptor", "musician", "singer", "architect", "engineer", "surveyor", "mapmaker", "clockmaker",
    "bookbinder", "printer", "innkeeper", "shopkeeper", "ferryman", "boatman", "woodcutter", "stonecutter",
    "beekeeper", "herbalist", "astronomer", "librarian", "historian", "watchman", "stranger", "neighbor",
    "apprentice", "mayor", "judge", "monk", "boy", "girl", "man", "woman", "child", "hunter", "saddler", "cooper",
    "tanner", "dyer", "thatcher", "wheelwright", "ropemaker", "seamstress", "lamplighter", "gatekeeper",
    "shipwright", "joiner", "locksmith", "candlemaker", "fiddler", "nurse", "widow", "priest", "grocer", "banker",
    "barber", "coachman", "chemist", "organist", "forester"};
constexpr SV kTradeAdj[] = {"patient", "careful", "young", "elderly", "cheerful", "quiet", "skilled", "clever",
    "stubborn", "kind", "weary", "busy", "proud", "humble", "old", "curious", "thoughtful", "talkative", "silent",
    "nervous", "honest", "gentle", "wise", "cautious", "diligent", "restless", "sleepy", "generous", "grumpy",
    "modest", "famous", "local", "careless", "serious", "stern", "jolly", "shy", "polite", "hardworking",
    "sensible", "anxious", "tall", "cheery", "absentminded", "devoted"};

constexpr SV kAnimal[] = {"dog", "horse", "pony", "donkey", "mule", "cow", "bull", "goat", "pig", "hen", "goose",
    "duck", "rabbit", "hare", "fox", "deer", "badger", "otter", "squirrel", "hedgehog", "ox", "calf", "stag",
    "boar", "tortoise", "lizard", "hound", "terrier"};
constexpr SV kAnimalVerb[] = {"sleep", "doze", "rest", "wait", "watch", "yawn", "linger", "stretch", "shiver",
    "sniff the air", "lie still", "keep still"};
constexpr SV kGrazer[] = {"horse", "pony", "donkey", "mule", "cow", "goat", "ox", "calf", "deer", "hare",
    "rabbit", "goose", "heifer", "stag", "bullock"};
constexpr SV kGrazeVerb[] = {"graze", "rest", "doze", "linger", "wait", "drink", "feed", "browse"};
constexpr SV kBird[] = {"heron", "crow", "owl", "hawk", "sparrow", "pigeon", "gull", "wren", "finch", "starling",
    "raven", "magpie", "swallow", "lark", "thrush", "blackbird", "jackdaw", "kingfisher", "rook", "curlew",
    "plover", "dove"};
constexpr SV kTree[] = {"oak", "elm", "willow", "birch", "pine", "maple", "cedar", "poplar", "beech", "alder",
    "hawthorn", "ash", "linden", "sycamore", "yew", "fir", "larch", "rowan", "hornbeam", "aspen"};
constexpr SV kPlant[] = {"fern", "reed", "thistle", "nettle", "bramble", "poppy", "foxglove", "buttercup",
    "cowslip", "primrose", "mushroom", "toadstool", "bluebell", "snowdrop", "dandelion", "wildflower", "rush",
    "sedge", "harebell", "orchid", "cornflower", "marigold", "daffodil"};

constexpr SV kObj[] = {"lantern", "basket", "barrel", "bell", "chair", "table", "bench", "stool", "ladder",
    "wheel", "bucket", "jar", "bottle", "cup", "bowl", "plate", "jug", "kettle", "pot", "pan", "knife", "spoon",
    "candle", "clock", "compass", "mirror", "blanket", "quilt", "coat", "cloak", "hat", "boot", "scarf",
    "necklace", "painting", "drum", "flute", "violin", "fiddle", "harp", "anchor", "sail", "net", "oar", "rope",
    "loom", "saddle", "bridle", "whistle", "statue", "vase", "pitcher", "tray", "broom", "brush", "map", "book",
    "notebook", "umbrella", "shovel", "axe", "plow", "sickle", "rake", "hammer", "chisel", "shelf", "cabinet",
    "cupboard", "shutter", "cradle", "carpet", "rug", "curtain", "banner", "flag", "telescope", "hourglass",
    "kite", "doll", "ledger", "candlestick", "teapot", "inkwell", "spinning wheel", "music stand", "birdcage",
    "weathervane", "rocking chair", "wardrobe", "sundial", "globe", "atlas", "cushion", "tapestry"};
constexpr SV kObjAdj[] = {"old", "new", "small", "heavy", "wooden", "brass", "copper", "iron", "silver", "clay",
    "painted", "carved", "polished", "cracked", "dusty", "worn", "fine", "plain", "simple", "elegant", "sturdy",
    "delicate", "battered", "tiny", "large", "beautiful", "ugly", "strange", "useful", "ornate", "rusty", "shiny",
    "faded", "green", "blue", "red", "white", "black", "handsome", "crooked", "broken", "chipped", "tarnished",
    "precious", "humble", "curious", "familiar", "enormous", "narrow", "round", "lovely", "peculiar", "treasured"};
constexpr SV kObjVerb[] = {"repair", "mend", "polish", "clean", "inspect", "measure", "sketch", "admire",
    "describe", "examine", "paint", "restore", "wrap", "weigh", "study", "dust", "oil", "varnish", "scrub",
    "straighten", "tighten", "label", "hang", "wash", "dry", "tidy", "fix", "oil and polish"};
constexpr SV kInstrument[] = {"fiddle", "flute", "harp", "organ", "piano", "accordion", "horn", "lute", "pipe",
    "violin", "cello", "guitar", "trumpet", "concertina", "harmonica", "mandolin", "bagpipe", "drum", "banjo"};

constexpr SV kLandVehicle[] = {"cart", "wagon", "carriage", "coach", "sled", "sleigh", "tram", "train",
    "oxcart", "hay wagon", "farm cart", "mail coach", "dray", "pony trap", "wheelbarrow"};
constexpr SV kWaterVehicle[] = {"ship", "boat", "barge", "ferry", "raft", "canoe", "schooner", "steamer",
    "fishing boat", "sloop", "skiff", "dinghy", "rowboat", "ketch", "yawl", "cutter", "lugger", "lifeboat"};
constexpr SV kVehicleAdj[] = {"heavy", "old", "creaking", "empty", "crowded", "painted", "narrow", "wide",
    "slow", "battered", "green", "red", "small", "long", "rickety", "wooden", "covered", "open", "low", "blue",
    "black", "shabby", "sturdy", "little", "handsome"};
constexpr SV kLandMotion[] = {"roll", "rumble", "rattle", "creak", "creep", "clatter", "lurch", "sway", "bump",
    "trundle", "jolt", "crawl", "wobble", "grind", "squeak"};
constexpr SV kWaterMotion[] = {"drift", "sail", "glide", "float", "bob", "slide", "steam", "rock", "sway",
    "creep", "nose", "chug", "turn"};
constexpr SV kManner[] = {"slowly", "steadily", "noisily", "quietly", "gently", "heavily", "easily",
    "carefully", "briskly", "lazily", "unsteadily", "smoothly", "patiently", "stiffly"};
constexpr SV kCargo[] = {"loaded with", "full of", "piled high with", "laden with", "stacked with",
    "heavy with"};
constexpr SV kGoods[] = {"sacks of flour", "sacks of grain", "barrels of cider", "barrels of salted fish",
    "bales of wool", "bales of hay", "crates of pears", "crates of cabbages", "baskets of plums",
    "bundles of firewood", "coils of rope", "jars of honey", "casks of oil", "rolls of cloth", "blocks of stone",
    "slabs of slate", "stacks of timber", "heaps of turnips", "loads of gravel", "kegs of ale", "bricks", "logs",
    "planks", "pumpkins", "lanterns", "candles", "onions", "potatoes", "cheeses", "baskets of eggs",
    "bolts of linen", "bags of salt", "sacks of coal", "crates of bottles", "pots and pans",
    "chairs and tables", "roof tiles", "iron bars", "fence posts", "bundles of reeds", "barrels of nails"};

constexpr SV kSeason[] = {"spring", "summer", "autumn", "winter"};
constexpr SV kDayPart[] = {"morning", "afternoon", "evening", "day", "night"};
constexpr SV kDayAdj[] = {"cold", "warm", "gray", "bright", "windy", "rainy", "quiet", "still", "clear",
    "foggy", "misty", "frosty", "damp", "sunny", "cloudy", "mild", "chilly", "stormy", "hazy", "dull", "long",
    "short", "pleasant"};
constexpr SV kFixedTime[] = {"at dawn", "at dusk", "at first light", "in the morning", "in the early morning",
    "in the afternoon", "in the late afternoon", "in the evening", "late at night", "before noon",
    "after supper", "after the harvest", "in early spring", "at the end of summer", "in late autumn",
    "in the depth of winter", "at midday", "around noon", "toward evening", "on market day",
    "on the day of the fair", "after the spring floods", "in the week before the harvest"};
constexpr SV kMaterialShine[] = {"copper", "brass", "glass", "water", "polished oak", "snow", "silver", "dust",
    "varnish", "old pewter", "wet slate", "frost"};
constexpr SV kShineLike[] = {"gold", "fire", "honey", "silver", "embers", "candlelight", "polished bronze",
    "wet stone", "new coins", "a lamp"};
constexpr SV kSmell[] = {"rain", "smoke", "pine", "salt", "hay", "fresh bread", "wet earth", "resin",
    "woodsmoke", "cut grass", "lavender", "tar"};
constexpr SV kQuality[] = {"character", "wealth", "health", "beauty", "mood", "fortune", "strength", "pride",
    "calm", "rhythm", "reputation", "comfort", "safety", "prosperity", "spirit", "charm"};
constexpr SV kAbstract[] = {"care", "patience", "skill", "pride", "attention", "effort", "caution", "delight",
    "interest", "precision", "affection", "ease", "confidence", "enthusiasm", "reluctance", "tenderness"};
constexpr SV kNumber[] = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "a hundred", "dozens of", "a few", "several", "many"};
constexpr SV kQuant[] = {"several", "a few", "many", "two", "three", "a dozen", "countless", "some", "four",
    "five", "six"};

// A craft ties together what a maker does, to what, from what, and with which tool.
struct Craft {
  SV verb;
  List objects, materials, makers, tools;
};
constexpr SV kCarveObj[] = {"bowl", "spoon", "bench", "stool", "chair", "frame", "toy", "door", "shutter",
    "figure", "cradle", "ladle", "sign", "mask", "comb"};
constexpr SV kWoodMat[] = {"oak", "pine", "cedar", "walnut", "birch", "ash", "beech", "elm", "maple", "cherry",
    "lime wood", "pear wood", "yew"};
constexpr SV kCarveMaker[] = {"carpenter", "woodcarver", "joiner", "cabinetmaker", "sculptor", "apprentice",
    "woodcutter", "old man"};
constexpr SV kCarveTool[] = {"chisel", "knife", "gouge", "mallet", "plane", "rasp", "saw"};
constexpr SV kWeaveObj[] = {"basket", "mat", "rug", "blanket", "shawl", "cloak", "net", "hammock", "tapestry",
    "scarf", "sash", "tablecloth"};
constexpr SV kWeaveMat[] = {"willow", "reed", "straw", "wool", "linen", "flax", "hemp", "rush", "cotton", "silk",
    "rushes", "dyed wool"};
constexpr SV kWeaveMaker[] = {"weaver", "basketmaker", "netmaker", "old woman", "apprentice", "girl"};
constexpr SV kWeaveTool[] = {"loom", "shuttle", "spindle", "needle", "comb", "frame"};
constexpr SV kForgeObj[] = {"kettle", "bell", "nail", "hinge", "lock", "key", "gate", "hook", "horseshoe",
    "blade", "plowshare", "chain", "candlestick", "lamp", "weathervane"};
constexpr SV kMetal[] = {"iron", "brass", "copper", "tin", "bronze", "steel", "pewter", "silver", "old iron"};
constexpr SV kForgeMaker[] = {"blacksmith", "tinsmith", "coppersmith", "silversmith", "metalworker",
    "apprentice", "locksmith"};
constexpr SV kForgeTool[] = {"hammer", "anvil", "file", "punch", "chisel", "pair of tongs"};
constexpr SV kPotObj[] = {"jug", "pot", "bowl", "plate", "cup", "vase", "jar", "tile", "pitcher", "dish",
    "lamp", "mug", "teapot", "urn"};
constexpr SV kClay[] = {"clay", "red clay", "river clay", "white clay", "gray clay", "stoneware"};
constexpr SV kPotMaker[] = {"potter", "tilemaker", "apprentice", "old potter"};
constexpr SV kPotTool[] = {"wheel", "wire", "sponge", "wooden rib", "knife", "kiln"};
constexpr SV kSewObj[] = {"coat", "cloak", "hat", "glove", "bag", "saddle", "apron", "shirt", "jacket", "vest",
    "purse", "pouch", "quilt", "sail", "tent", "banner", "cushion"};
constexpr SV kCloth[] = {"leather", "wool", "linen", "silk", "felt", "canvas", "velvet", "cotton", "sailcloth",
    "tweed", "soft leather"};
constexpr SV kSewMaker[] = {"tailor", "seamstress", "saddler", "sailmaker", "dressmaker", "apprentice",
    "hatter"};
constexpr SV kSewTool[] = {"needle", "thimble", "awl", "pair of shears", "bodkin"};
constexpr SV kGlassObj[] = {"bottle", "vase", "bowl", "jar", "bead", "goblet", "lamp", "flask", "ornament",
    "windowpane", "float"};
constexpr SV kGlass[] = {"glass", "green glass", "clear glass", "blue glass", "smoky glass"};
constexpr SV kGlassMaker[] = {"glassblower", "glassmaker", "apprentice"};
constexpr SV kGlassTool[] = {"blowpipe", "paddle", "pair of tongs", "wooden block"};
constexpr SV kBuildObj[] = {"cart", "wagon", "boat", "raft", "cabinet", "cupboard", "ladder", "table",
    "bookcase", "wardrobe", "shed", "wheel", "sled", "canoe", "fence", "gate", "barrel", "bench"};
constexpr SV kTimber[] = {"oak", "pine", "timber", "cedar", "larch", "spruce", "elm", "old timber", "ash"};
constexpr SV kBuildMaker[] = {"carpenter", "shipwright", "wheelwright", "cooper", "builder", "joiner",
    "apprentice"};
constexpr SV kBuildTool[] = {"saw", "hammer", "plane", "drill", "adze", "axe", "mallet"};
constexpr SV kBindObj[] = {"book", "ledger", "journal", "notebook", "album", "diary", "almanac", "hymnbook",
    "atlas"};
constexpr SV kBindMat[] = {"leather", "cloth", "linen", "vellum", "calfskin", "board", "dark leather"};
constexpr SV kBindMaker[] = {"bookbinder", "printer", "clerk", "apprentice", "librarian"};
constexpr SV kBindTool[] = {"needle", "knife", "press", "bone folder", "brush"};

constexpr Craft kCrafts[] = {
    {"carve", kCarveObj, kWoodMat, kCarveMaker, kCarveTool},
    {"weave", kWeaveObj, kWeaveMat, kWeaveMaker, kWeaveTool},
    {"forge", kForgeObj, kMetal, kForgeMaker, kForgeTool},
    {"shape", kPotObj, kClay, kPotMaker, kPotTool},
    {"sew", kSewObj, kCloth, kSewMaker, kSewTool},
    {"blow", kGlassObj, kGlass, kGlassMaker, kGlassTool},
    {"build", kBuildObj, kTimber, kBuildMaker, kBuildTool},
    {"bind", kBindObj, kBindMat, kBindMaker, kBindTool},
};

const Craft& craft(Rng& r) { return kCrafts[r.below(std::size(kCrafts))]; }

// ---------------------------------------------------------------------------------------------------------
// Phrase builders.

std::string opt(Rng& r, List adj, int percent) { return chance(r, percent) ? std::string(pick(r, adj)) : std::string(); }

// "the [adj] noun"
std::string the(Rng& r, List adj, List noun, int percent = 60) {
  std::string a = opt(r, adj, percent);
  return J({"the", a, pick(r, noun)});
}
// "a/an [adj] noun"
std::string a_(Rng& r, List adj, List noun, int percent = 60) {
  std::string w = J({opt(r, adj, percent), pick(r, noun)});
  return J({article(w), w});
}
std::string a_of(SV w) { return J({article(w), w}); }
// "[adj] nouns"
std::string pl(Rng& r, List adj, List noun, int percent = 40) {
  std::string a = opt(r, adj, percent);
  return J({a, plural(pick(r, noun))});
}

std::string settlement(Rng& r) { return the(r, kSettleAdj, kSettle, 40); }
std::string place(Rng& r) { return the(r, kLandAdj, kPlace, 65); }
std::string structure(Rng& r) { return the(r, kStructAdj, kStruct, 65); }
std::string trade(Rng& r) { return the(r, kTradeAdj, kTrade, 55); }
std::string object(Rng& r) { return the(r, kObjAdj, kObj, 60); }

// Two settlements of different kinds ("the quiet village", "the harbor town").
std::pair<std::string, std::string> two_settlements(Rng& r) {
  size_t i = r.below(std::size(kSettle)), j = r.below(std::size(kSettle) - 1);
  if (j >= i) ++j;
  std::string a = J({"the", opt(r, kSettleAdj, 40), kSettle[i]});
  std::string b = J({"the", opt(r, kSettleAdj, 40), kSettle[j]});
  return {a, b};
}

std::string time_phrase(Rng& r) {
  switch (r.below(8)) {
    case 0: return J({"on a", pick(r, kDayAdj), pick(r, kDayPart)});
    case 1: return J({"one", pick(r, kDayAdj), pick(r, kDayPart)});
    case 2: return J({"every", pick(r, kSeason)});
    case 3: return J({chance(r, 50) ? "that" : "the following", pick(r, kSeason)});
    case 4: return J({"in the", chance(r, 50) ? "first" : "last", "days of", pick(r, kSeason)});
    default: return std::string(pick(r, kFixedTime));
  }
}

// A weather or landscape clause in the past tense: "the wind grew cold".
std::string weather(Rng& r) {
  switch (r.below(18)) {
    case 0: return J({"the wind grew", pick(r, std::initializer_list<SV>{"cold", "sharp", "gentle", "still", "warm",
                      "bitter", "damp", "restless", "quiet", "fierce", "colder", "softer"})});
    case 1: return J({a_of(pick(r, std::initializer_list<SV>{"light", "steady", "cold", "fine", "gentle", "heavy",
                      "soft", "thin", "warm", "slanting"})), "rain began to fall"});
    case 2: return J({"the", pick(r, std::initializer_list<SV>{"fog", "mist", "haze"}), "lifted from the",
                      plural(pick(r, kOpenPlace))});
    case 3: return J({a_of(pick(r, std::initializer_list<SV>{"thin", "pale", "heavy", "low", "gray", "white",
                      "cold"})), pick(r, std::initializer_list<SV>{"mist", "fog", "haze"}),
                      pick(r, std::initializer_list<SV>{"settled over", "hung over", "crept into", "lay across"}),
                      place(r)});
    case 4: return J({opt(r, std::initializer_list<SV>{"dark", "heavy", "low", "gray", "white", "swollen"}, 70),
                      "clouds gathered over the", opt(r, kLandAdj, 40), plural(pick(r, kHighPlace))});
    case 5: return J({"the sun broke through the clouds"});
    case 6: return J({"the first snow fell on the", plural(pick(r, std::initializer_list<SV>{"roof", "field",
                      "hedge", "chimney", "orchard", "hill", "lane", "stone wall"}))});
    case 7: return J({"the light faded behind the", plural(pick(r, kHighPlace))});
    case 8: return J({"frost", pick(r, std::initializer_list<SV>{"covered", "whitened", "silvered", "stiffened"}),
                      "the", plural(pick(r, kOpenPlace))});
    case 9: return J({"the sky turned", pick(r, std::initializer_list<SV>{"gray", "pale", "pink", "orange", "purple",
                      "dark", "silver", "gold", "violet blue", "the color of slate"})});
    case 10: return J({"the", pick(r, kDayPart), "grew", pick(r, std::initializer_list<SV>{"quiet", "cool",
                       "dark", "still", "long", "colder", "warmer", "heavy"})});
    case 11: return J({"thunder rolled across the", opt(r, kLandAdj, 40), pick(r, kPlace)});
    case 12: return J({"the air smelled of", pick(r, kSmell)});
    case 13: return J({a_of(pick(r, std::initializer_list<SV>{"cold", "warm", "salty", "gentle", "steady",
                       "fresh", "damp"})), "breeze", pick(r, std::initializer_list<SV>{"came", "blew"}),
                       pick(r, std::initializer_list<SV>{"off the sea", "down from the hills", "across the fields",
                       "through the trees", "up the valley", "over the marsh"})});
    case 14: return J({"the", plural(pick(r, kTree)), pick(r, std::initializer_list<SV>{"swayed", "creaked",
                       "rustled", "shivered", "bent", "sighed"}), "in the wind"});
    case 15: return J({"the", pick(r, kRiver), "ran", pick(r, std::initializer_list<SV>{"high", "low", "fast",
                       "quiet", "slow", "dark", "clear"})});
    case 16: return J({"the", pick(r, std::initializer_list<SV>{"stars", "moon", "first stars", "evening star"}),
                       "came out over the", pick(r, kPlace)});
    default: return J({"long shadows crept across the", opt(r, kLandAdj, 40), pick(r, kPlace)});
  }
}

// A present-tense weather condition: "the rain stops".
std::string weather_now(Rng& r) {
  static constexpr SV k[] = {"the rain stops", "the wind drops", "the fog lifts", "the frost holds",
      "the snow melts", "the weather holds", "the sky clears", "the river falls", "the storm ends",
      "the ground dries", "the sun comes out", "the mist clears", "the wind turns", "the ice breaks"};
  return std::string(pick(r, k));
}

std::string conj(Rng& r) { return std::string(pick(r, std::initializer_list<SV>{"while", "as", "when", "just as",
    "long after", "soon after", "before"})); }
std::string loc_prep(Rng& r) {
  return std::string(pick(r, std::initializer_list<SV>{"near", "beside", "beyond", "at the edge of", "overlooking",
      "across", "by", "on the far side of", "in the middle of", "along", "not far from", "close to"}));
}
std::string pronoun(Rng& r) { return chance(r, 50) ? "his" : "her"; }

// ---------------------------------------------------------------------------------------------------------
// Sentence patterns. Each returns the sentence without its final period.

using Pattern = std::string (*)(Rng&);

const Pattern kPatterns[] = {
    // 1. description, passive, with a weather clause
    [](Rng& r) {
      return J({structure(r), loc_prep(r), place(r), "was", past_participle(pick(r, kStructVerb)), "by",
                a_(r, kTradeAdj, kTrade, 70), conj(r), weather(r)});
    },
    // 2. two actions joined with "and"
    [](Rng& r) {
      const Craft& c = craft(r);
      return J({time_phrase(r) + ",", the(r, kTradeAdj, c.makers, 60), past(pick(r, kObjVerb)),
                the(r, kObjAdj, c.objects, 60), "with", a_of(pick(r, c.tools)), "and", the(r, {}, kAnimal, 0),
                past(pick(r, kAnimalVerb)),
                pick(r, std::initializer_list<SV>{"by the fire", "in the shade", "on the warm stones",
                     "under the bench", "by the open door", "in the straw", "in the doorway", "in the sun"})});
    },
    // 3. comparison of two settlements
    [](Rng& r) {
      static constexpr SV built[] = {"market", "harbor", "church", "bridge", "inn", "library", "main street",
          "town hall", "fountain", "mill"};
      static constexpr SV built_adj[] = {"old", "busy", "quiet", "grand", "small", "large", "famous", "crowded",
          "clean", "lively", "wide", "narrow", "handsome", "plain"};
      static constexpr SV clime[] = {"air", "winter", "summer", "weather", "wind", "spring", "rain"};
      static constexpr SV clime_adj[] = {"cold", "warm", "mild", "damp", "dry", "harsh", "gentle", "long", "short",
          "fresh", "wet"};
      static constexpr SV food[] = {"bread", "cider", "cheese", "water", "honey", "wine", "ale", "butter"};
      static constexpr SV food_adj[] = {"sweet", "fresh", "cheap", "famous", "good", "rich", "plain", "bitter",
          "strong", "pleasant"};
      std::string feature, adj;
      switch (r.below(3)) {
        case 0: feature = pick(r, built); adj = pick(r, built_adj); break;
        case 1: feature = pick(r, clime); adj = pick(r, clime_adj); break;
        default: feature = pick(r, food); adj = pick(r, food_adj); break;
      }
      std::string tail = chance(r, 50) ? std::string(pick(r, std::initializer_list<SV>{", or so the neighbors said",
          ", by most accounts", " in those years", ", as every visitor noticed", ", though few would admit it"})) : "";
      auto [s1, s2] = two_settlements(r);
      return J({"the", feature, "of", s1, "was", comparative(adj), "than that of", s2}) + tail;
    },
    // 4. weather, two clauses
    [](Rng& r) {
      std::string a = weather(r), b = weather(r);
      while (b.compare(0, 10, a, 0, 10) == 0) b = weather(r);  // two different clauses
      return J({time_phrase(r) + ",", a + ",", "and", b});
    },
    // 5. landscape with a relative "where"
    [](Rng& r) {
      return J({"beyond", place(r), pick(r, std::initializer_list<SV>{"lay", "stretched", "opened"}),
                a_(r, kLandAdj, kPlace, 80), "where", plural(pick(r, kGrazer)), past(pick(r, kGrazeVerb)),
                time_phrase(r)});
    },
    // 6. crafts, present tense
    [](Rng& r) {
      const Craft& c = craft(r);
      return J({a_(r, kTradeAdj, c.makers, 60), "in", settlement(r), third_person(c.verb),
                plural(pick(r, c.objects)), "from", pick(r, c.materials), "and",
                pick(r, std::initializer_list<SV>{"sells them", "sells them cheaply", "keeps the best ones",
                     "stacks them", "hangs them"}),
                pick(r, std::initializer_list<SV>{"at the market", "by the door", "in the window", "at the fair",
                     "every week", "each season", "in the back room", "to anyone who asks"})});
    },
    // 7. a cart on the road
    [](Rng& r) {
      static constexpr SV route[] = {"along the", "down the", "up the", "through the", "across the", "past the",
          "around the"};
      std::string where;
      switch (r.below(4)) {
        case 0: where = J({pick(r, route), opt(r, kLandAdj, 50), pick(r, std::initializer_list<SV>{"road", "lane",
                     "track", "causeway", "high road", "cart track"})}); break;
        case 1: where = J({"across the", opt(r, kLandAdj, 50), pick(r, kOpenPlace)}); break;
        case 2: where = J({"past", structure(r)}); break;
        default: where = J({"over the", opt(r, kStructAdj, 50), "bridge"}); break;
      }
      return J({a_(r, kVehicleAdj, kLandVehicle, 60), pick(r, kCargo), pick(r, kGoods), past(pick(r, kLandMotion)),
                opt(r, kManner, 50), where,
                chance(r, 60) ? J({"toward", chance(r, 50) ? settlement(r) : structure(r)}) : std::string()});
    },
    // 8. a river and its course
    [](Rng& r) {
      std::string end;
      switch (r.below(3)) {
        case 0: end = J({pick(r, std::initializer_list<SV>{"disappeared", "vanished", "faded"}), "into", place(r)}); break;
        case 1: end = J({"spread out across the", plural(pick(r, kOpenPlace))}); break;
        default: end = J({"slowed as it reached", place(r)}); break;
      }
      return J({"the", opt(r, kRiverAdj, 70), pick(r, kRiver), past(pick(r, kRiverVerb)), "past", structure(r),
                "and", end});
    },
    // 9. a ship
    [](Rng& r) {
      static constexpr SV water[] = {"into the harbor", "across the bay", "down the river", "along the coast",
          "past the lighthouse", "toward the open sea", "under the old bridge", "through the narrow channel",
          "out of the estuary", "around the headland", "along the canal", "up the river", "into the lagoon"};
      return J({a_(r, kVehicleAdj, kWaterVehicle, 50), "with", pick(r, std::initializer_list<SV>{"patched", "white",
                "gray", "red", "brown", "torn", "new", "faded", "tall", "canvas"}),
                "sails", past(pick(r, kWaterMotion)), opt(r, kManner, 40), pick(r, water), conj(r), weather(r)});
    },
    // 10. a saying
    [](Rng& r) {
      static constexpr SV pred[] = {"lasts longer than", "is worth more than", "is more useful than",
          "needs more care than", "tells more about its owner than", "is harder to make than"};
      static constexpr SV tail[] = {"", ", and the people of the valley seem to agree",
          ", though few people believe it", ", but nobody has ever tested it", ", and perhaps it is true"};
      std::string mid = J({pick(r, std::initializer_list<SV>{"It is often said", "People say", "Some claim",
          "An old saying holds", "It is widely believed"}), "that", a_(r, kObjAdj, kObj, 100), pick(r, pred),
          a_(r, kObjAdj, kObj, 100)});
      return mid + std::string(pick(r, tail));
    },
    // 11. "nobody could say why", with "but"
    [](Rng& r) {
      return J({"nobody could say why", structure(r), loc_prep(r), place(r), "had become so",
                std::string(pick(r, std::initializer_list<SV>{"quiet", "gloomy", "famous", "crowded", "neglected", "cold",
                "busy", "lonely", "cheerful", "dusty"})) + ",",
                "but the", plural(pick(r, kTrade)), "of", settlement(r),
                past(pick(r, std::initializer_list<SV>{"talk", "argue", "wonder", "joke", "worry", "gossip",
                     "speak", "complain"})), "about it", time_phrase(r)});
    },
    // 12. "because"
    [](Rng& r) {
      const Craft& c = craft(r);
      return J({the(r, kTradeAdj, c.makers, 70), past(c.verb), "the", pick(r, c.objects),
                pick(r, std::initializer_list<SV>{"again", "a second time", "once more", "from the beginning"}),
                "because the first one had been too",
                pick(r, std::initializer_list<SV>{"rough", "thin", "heavy", "uneven", "plain", "crooked", "loose",
                     "fragile", "dull", "small", "large", "hasty", "clumsy", "dark", "pale"}),
                chance(r, 50) ? J({"for", the(r, {}, kTrade, 0)}) : std::string()});
    },
    // 13. "but", a place seen from afar and close up
    [](Rng& r) {
      return J({chance(r, 50) ? structure(r) : settlement(r), "looked", pick(r, kLookAdj), "from a distance,",
                "but up close its", plural(pick(r, kPart)), "were", pick(r, kPartState), "and",
                pick(r, kPartState)});
    },
    // 14. "while", a work song
    [](Rng& r) {
      static constexpr std::pair<SV, SV> song[] = {{"sang", "song"}, {"hummed", "tune"}, {"whistled", "tune"},
          {"sang", "ballad"}, {"recited", "rhyme"}, {"told", "story"}, {"hummed", "melody"}, {"sang", "lullaby"},
          {"recited", "poem"}, {"told", "tale"}, {"sang", "hymn"}, {"whistled", "march"}};
      static constexpr SV topic[] = {"the sea", "the harvest", "the long winter", "the mountains", "the river",
          "a lost ship", "the first snow", "an old bridge", "the stars", "the summer fair", "a distant city",
          "the rain", "the old mill", "the spring floods", "a famous storm", "the moon", "a faithful dog",
          "the village well", "a sunken bell", "the lamplighters", "the orchards in bloom"};
      const Craft& c = craft(r);
      const auto& s = song[r.below(std::size(song))];
      return J({"while", the(r, kTradeAdj, c.makers, 50), "was", gerund(c.verb == "blow" ? "shape" : c.verb),
                a_(r, kObjAdj, c.objects, 50) + ",", trade(r), s.first,
                a_of(J({opt(r, std::initializer_list<SV>{"slow", "cheerful", "sad", "long", "old", "simple", "merry",
                     "quiet", "strange"}, 60), s.second})), "about", pick(r, topic)});
    },
    // 15. relative clause
    [](Rng& r) {
      static constexpr SV rest[] = {"now hung on the wall of", "now rested on a shelf in", "now stood by the door of",
          "now lay forgotten in the attic of", "still hung in the window of", "now stood in a corner of",
          "was kept behind the counter of", "now lay on a table in"};
      return J({object(r), "that", trade(r), "had", past_participle(pick(r, kObjVerb)), time_phrase(r),
                pick(r, rest), structure(r)});
    },
    // 16. "there was", with "and"
    [](Rng& r) {
      return J({"there was", a_(r, kStructAdj, kStruct, 80), loc_prep(r), place(r) + ",", "and its",
                plural(pick(r, kMadePart)), "were made of", pick(r, kBuildMaterial)});
    },
    // 17. habit, present tense
    [](Rng& r) {
      const Craft& c = craft(r);
      return J({"every", std::string(pick(r, kSeason)) + ",", "the", plural(pick(r, c.makers)), "of", settlement(r),
                pick(r, std::initializer_list<SV>{"mend", "clean", "sort", "count", "oil", "inspect", "repair"}),
                "their", plural(pick(r, c.tools)), "and", pick(r, kStructVerb), "the", plural(pick(r, kStruct))});
    },
    // 18. a market, a list of goods
    [](Rng& r) {
      return J({"the", pick(r, std::initializer_list<SV>{"market", "fair", "harbor market", "covered market",
                "street market", "autumn fair"}), "was full of", std::string(pick(r, kGoods)) + ",",
                std::string(pick(r, kGoods)) + ",", "and", std::string(pick(r, kGoods)) + ",",
                "and the air smelled of", pick(r, kSmell)});
    },
    // 19. music somewhere
    [](Rng& r) {
      return J({"somewhere", pick(r, std::initializer_list<SV>{"beyond", "across", "on the far side of"}),
                chance(r, 50) ? place(r) : structure(r),
                a_(r, std::initializer_list<SV>{"old", "lonely", "distant", "cheerful", "single", "soft"},
                   kInstrument, 40), "was playing,", "and its",
                pick(r, std::initializer_list<SV>{"slow", "bright", "thin", "sweet", "wavering", "low", "clear",
                     "mournful"}), "notes drifted over the",
                plural(pick(r, std::initializer_list<SV>{"roof", "field", "chimney", "orchard", "meadow", "rooftop",
                     "hedge", "courtyard"})), chance(r, 50) ? J({"of", settlement(r)}) : std::string()});
    },
    // 20. a belief, "that" clause
    [](Rng& r) {
      return J({"some", plural(pick(r, kTrade)), "believe that the", pick(r, kQuality), "of",
                a_(r, kSettleAdj, kSettle, 40), "depends on the", pick(r, kQuality), "of its",
                plural(pick(r, chance(r, 50) ? List(kStruct) : List(kTrade)))});
    },
    // 21. seasons, "when"
    [](Rng& r) {
      static constexpr SV colors[4][5] = {{"green", "bright green", "pale green", "soft green", "green"},
                                          {"dark", "dusty", "heavy", "deep green", "dark green"},
                                          {"gold", "red", "brown", "yellow", "copper"},
                                          {"bare", "gray", "silver", "white", "black"}};
      size_t s = r.below(4);
      return J({"when", kSeason[s], "came, the", plural(pick(r, kTree)), "along the",
                pick(r, std::initializer_list<SV>{"road", "lane", "river", "canal", "towpath", "ridge", "old wall"}),
                "turned", colors[s][r.below(5)], "and the", plural(pick(r, kBird)), "gathered on the",
                plural(pick(r, std::initializer_list<SV>{"roof", "chimney", "fence", "rooftop", "gable", "wire",
                     "steeple", "haystack"})),
                chance(r, 50) ? std::string(pick(r, std::initializer_list<SV>{"as they did every year",
                     "as they always had", "before anyone expected", "in great numbers", "one by one",
                     "in noisy crowds", "for a few weeks"})) : std::string()});
    },
    // 22. passive, storage
    [](Rng& r) {
      return J({"the", plural(pick(r, kObj)), "were", past_participle(pick(r, kObjVerb)), "with",
                pick(r, std::initializer_list<SV>{"great", "careful", "little", "unusual", "loving", "patient"}),
                "care and stored in", a_(r, kStructAdj, std::initializer_list<SV>{"barn", "shed", "cellar", "loft",
                "granary", "storehouse", "attic", "warehouse", "cupboard", "outhouse"}, 60), "until",
                pick(r, std::initializer_list<SV>{"spring", "the next market day", "the spring fair", "the thaw",
                     "the end of winter", "they were needed", "the weather turned", "the harvest"})});
    },
    // 23. general truth with comparatives
    [](Rng& r) {
      static constexpr SV easy[] = {"easy", "fast", "quick", "safe", "neat", "clean", "quiet", "simple", "light",
          "steady", "pleasant", "calm", "sure", "smooth", "tidy", "gentle", "swift", "precise", "cheerful"};
      const Craft& c = craft(r);
      std::string a = comparative(pick(r, easy)), b = comparative(pick(r, easy));
      if (a == b) b = "more pleasant";
      return J({a_(r, std::initializer_list<SV>{"sharp", "good", "keen", "sturdy", "new",
                "heavy", "light", "old", "trusty"}, c.tools, 80), "makes the work of", a_of(pick(r, c.makers)), a,
                "and", b,
                chance(r, 70) ? std::string(pick(r, std::initializer_list<SV>{"in the long winter months",
                    "on a busy market day", "as every apprentice soon learns", "or so the old masters say",
                    "than most people would guess", "in a cold workshop", "by the end of a long day",
                    "when the orders pile up", "in the dim light of evening", "than any book could teach"}))
                               : std::string()});
    },
    // 24. simile
    [](Rng& r) {
      static constexpr std::pair<SV, SV> sim[] = {{"still", "a mirror"}, {"quiet", "a church"},
          {"smooth", "glass"}, {"cold", "iron"}, {"gray", "slate"}, {"bright", "polished brass"}, {"soft", "wool"},
          {"dark", "ink"}, {"calm", "a sleeping dog"}, {"silent", "an empty hall"}, {"pale", "candle wax"},
          {"green", "an emerald"}, {"flat", "a table"}, {"clear", "glass"}, {"white", "fresh linen"},
          {"warm", "new bread"}, {"empty", "a drum"}};
      const auto& s = sim[r.below(std::size(sim))];
      return J({time_phrase(r) + ",", "the", pick(r, std::initializer_list<SV>{"lake", "sea", "bay", "valley", "sky",
                "river", "pond", "meadow", "harbor", "air", "marsh", "canal", "moor", "field"}), "was as",
                s.first, "as", std::string(s.second) + ",", "and", weather(r)});
    },
    // 25. conditional, future
    [](Rng& r) {
      return J({"if", weather_now(r), std::string(pick(r, std::initializer_list<SV>{"before noon", "by evening", "tomorrow",
                "this week", "in the night", "soon"})) + ",", trade(r), "will",
                pick(r, kObjVerb), object(r), pick(r, std::initializer_list<SV>{"before supper", "before dark",
                "by the end of the week", "in the morning", "before the fair", "at first light"})});
    },
    // 26. quantified objects with a participle phrase
    [](Rng& r) {
      static constexpr SV where[] = {"by the door of", "against the wall of", "in the yard of", "in the cellar of",
          "on the steps of", "under the eaves of", "in the loft of", "behind"};
      static constexpr SV how[] = {"covered in dust", "waiting to be repaired", "forgotten by everyone",
          "gleaming in the sun", "tied with string", "stacked neatly by size", "wrapped in sacking",
          "half hidden by weeds", "still wet with paint", "sorted by color", "labeled in neat letters"};
      return J({pick(r, kQuant), pl(r, kObjAdj, kObj, 40),
                pick(r, std::initializer_list<SV>{"stood", "lay", "hung", "rested", "waited"}), pick(r, where),
                structure(r) + ",", pick(r, how)});
    },
    // 27. history, "and"
    [](Rng& r) {
      const Craft& c = craft(r);
      std::string who = pronoun(r);
      return J({"long ago,", structure(r), loc_prep(r), place(r), "belonged to", a_(r, kTradeAdj, c.makers, 70) + ",",
                "and its", plural(pick(r, kMadePart)), "still bear the marks of", who, plural(pick(r, c.tools))});
    },
    // 28. "although"
    [](Rng& r) {
      static constexpr SV flaw[] = {"old", "cracked", "worn", "heavy", "plain", "dented", "faded", "small",
          "ugly", "crooked", "damp", "cheap", "battered", "chipped"};
      return J({"although the", pick(r, kObj), "was", std::string(pick(r, flaw)) + ",", trade(r),
                past(pick(r, kObjVerb)), "it with great", pick(r, kAbstract)});
    },
    // 29. light
    [](Rng& r) {
      return J({"the", pick(r, std::initializer_list<SV>{"pale", "golden", "soft", "thin", "warm", "gray",
                "slanting", "last", "first", "low"}), "light of the",
                pick(r, std::initializer_list<SV>{"late afternoon", "early morning", "winter sun", "setting sun",
                     "evening", "rising moon", "lamps", "fire", "summer sky"}), "fell across the",
                plural(pick(r, std::initializer_list<SV>{"workbench", "table", "shelf", "roof", "field",
                     "floorboard", "window", "jar", "bottle", "barrel", "bench", "rooftop"})),
                "and made the", pick(r, kMaterialShine),
                pick(r, std::initializer_list<SV>{"glow", "gleam", "shine", "shimmer"}), "like",
                pick(r, kShineLike)});
    },
    // 30. a row of houses
    [](Rng& r) {
      return J({"along the", opt(r, kLandAdj, 30), pick(r, std::initializer_list<SV>{"road", "lane", "quay",
                "river", "canal", "street", "harbor wall"}), "stood a row of", opt(r, kStructAdj, 60),
                plural(pick(r, std::initializer_list<SV>{"cottage", "house", "shop", "cabin", "farmhouse",
                     "workshop", "stall", "warehouse", "boathouse"})) + ",",
                "each with", a_(r, std::initializer_list<SV>{"green", "red", "blue", "crooked", "low", "tall",
                "narrow", "painted", "small", "wide"}, std::initializer_list<SV>{"roof", "chimney", "window",
                "porch", "gate", "fence", "balcony", "shutter", "doorstep"}, 100), "and",
                pick(r, std::initializer_list<SV>{"a pot of herbs", "a bench", "a lantern", "a rain barrel",
                     "a bucket", "a pile of firewood", "a boot scraper", "a sleeping dog", "a bell"}),
                pick(r, std::initializer_list<SV>{"by the door", "beside the step", "under the window",
                     "next to the gate", "by the wall"})});
    },
    // 31. work report, past perfect
    [](Rng& r) {
      static constexpr SV by[] = {"evening", "noon", "nightfall", "the end of the week", "the end of the month",
          "midsummer", "the first frost", "the time the bells rang"};
      std::string v1(pick(r, kObjVerb));
      std::string v2(pick(r, std::initializer_list<SV>{"store", "stack", "sort", "count", "wrap", "label", "cover",
                                                     "clean", "inspect"}));
      return J({"by", std::string(pick(r, by)) + ",", "the", plural(pick(r, kTrade)), "had", past_participle(v1),
                pick(r, kNumber), plural(pick(r, kObj)), "and", past_participle(v2), "the rest"});
    },
    // 32. sounds, "and" then "but"
    [](Rng& r) {
      static constexpr SV sound[] = {"the bells rang", "the dogs barked", "the geese honked", "the crows called",
          "the hinges creaked", "the shutters rattled", "the kettles whistled", "the hammers rang",
          "the wheels creaked", "the wind howled", "rain drummed on the roofs", "a door banged somewhere",
          "the gulls cried", "the church clock struck"};
      std::string a(pick(r, sound));
      std::string b(pick(r, sound));
      if (a == b) b = "the owls called";
      return J({chance(r, 40) ? time_phrase(r) : std::string(), a, "and", std::string(b) + ",", "but",
                chance(r, 50) ? settlement(r) : place(r), "remained",
                pick(r, std::initializer_list<SV>{"quiet", "still", "asleep", "calm", "silent", "dark", "peaceful",
                     "unmoved", "empty"})});
    },
    // 33. "nobody remembered who", relative clause
    [](Rng& r) {
      return J({"nobody remembered who had", past_participle(pick(r, kObjVerb)), object(r), "that",
                pick(r, std::initializer_list<SV>{"hung", "lay", "stood", "rested"}),
                pick(r, std::initializer_list<SV>{"by the door of", "in the corner of", "on the wall of",
                     "in the cellar of", "at the back of", "near the entrance of", "in the attic of", "on a shelf in"}),
                structure(r)});
    },
    // 34. "so", expectation
    [](Rng& r) {
      return J({trade(r), pick(r, std::initializer_list<SV>{"suspected", "warned", "guessed", "said", "believed",
                "feared", "insisted"}), "that", pick(r, std::initializer_list<SV>{"a storm", "frost", "snow",
                "heavy rain", "a cold wind", "a hard frost", "fog", "hail", "a gale"}), "would come before",
                std::string(pick(r, std::initializer_list<SV>{"dawn", "evening", "morning", "nightfall",
                "the end of the week", "midnight"})) + ",", "so the", plural(pick(r, kObj)), "were",
                pick(r, std::initializer_list<SV>{"covered", "stacked", "wrapped", "fastened", "secured", "stored",
                     "sheltered", "tied down", "packed away", "locked away"}), "early"});
    },
    // 35. woods and undergrowth
    [](Rng& r) {
      return J({"in", std::string(place(r)) + ",", "there were",
                pick(r, std::initializer_list<SV>{"tall", "old", "slender", "crooked", "young", "ancient", "twisted",
                     "dark", "silver"}), std::string(plural(pick(r, kTree))) + ",", "and beneath them grew",
                plural(pick(r, kPlant)), "and", plural(pick(r, kPlant))});
    },
    // 36. a claim about craftsmanship
    [](Rng& r) {
      static constexpr SV good[] = {"fine", "strong", "light", "cheap", "heavy", "plain", "sturdy", "elegant",
          "beautiful", "simple", "useful", "durable", "pretty"};
      const Craft& c = craft(r);
      std::string who = trade(r);
      SV said = pick(r, std::initializer_list<SV>{"said", "claimed", "insisted", "remarked", "believed",
                "told everyone"});
      std::string what = plural(pick(r, c.objects));
      auto [s1, s2] = two_settlements(r);
      return J({who, said, "that the", what, "made in", s1, "were", comparative(pick(r, good)),
                "than those made in", s2});
    },
    // 37. a road and its landmarks
    [](Rng& r) {
      return J({"the", opt(r, kLandAdj, 60), pick(r, std::initializer_list<SV>{"road", "lane", "track", "path",
                "trail", "causeway", "towpath", "bridleway"}),
                past(pick(r, std::initializer_list<SV>{"wind", "climb", "curve", "run", "twist", "dip"})),
                pick(r, std::initializer_list<SV>{"through", "along", "across", "over"}), "the",
                opt(r, kLandAdj, 50), std::string(plural(pick(r, kOpenPlace))) + ",", "and at every",
                pick(r, std::initializer_list<SV>{"bend", "turn", "crossing", "fork"}), "stood",
                a_(r, std::initializer_list<SV>{"old", "small", "weathered", "mossy", "wooden", "stone", "crooked",
                   "little", "gray", "painted"}, std::initializer_list<SV>{"milestone", "shrine", "well", "signpost",
                   "fountain", "bench", "lamppost", "inn", "oak", "cottage", "gate", "stile"}, 80)});
    },
    // 38. animals watched from a building
    [](Rng& r) {
      return J({"the", plural(pick(r, kGrazer)), "in the", opt(r, kLandAdj, 50), pick(r, kOpenPlace),
                past(pick(r, kGrazeVerb)),
                pick(r, std::initializer_list<SV>{"while", "as"}), trade(r),
                pick(r, std::initializer_list<SV>{"watched", "looked on", "kept watch"}), "from the",
                pick(r, std::initializer_list<SV>{"window", "porch", "doorway", "step", "gate", "roof", "upper floor"}),
                "of", structure(r)});
    },
    // 39. "few things are as"
    [](Rng& r) {
      return J({"few things are as", pick(r, std::initializer_list<SV>{"quiet", "still", "peaceful", "beautiful",
                "lonely", "cold", "green", "bright", "gray", "strange", "pleasant", "restful"}), "as",
                a_(r, kLandAdj, kPlace, 40), std::string(pick(r, std::initializer_list<SV>{"at dawn", "in winter",
                "after rain", "at dusk", "in early spring", "under fresh snow", "on a summer evening",
                "before a storm", "in the fog"})) + ",", "and the", plural(pick(r, kTrade)), "of",
                settlement(r), "know it well"});
    },
    // 40. "because", a lamp by the door
    [](Rng& r) {
      auto reason = [](Rng& g, List what, List how) {
        size_t w1 = g.below(what.size()), w2 = g.below(what.size() - 1), h1 = g.below(how.size()),
               h2 = g.below(how.size() - 1);
        if (w2 >= w1) ++w2;
        if (h2 >= h1) ++h2;
        return J({"the", what[w1], "were", how[h1], "and the", what[w2], "were", how[h2]});
      };
      static constexpr SV what[] = {"nights", "winters", "roads", "evenings", "mornings", "lanes", "stairs",
          "paths"};
      static constexpr SV how[] = {"dark", "long", "cold", "wet", "icy", "steep", "quiet", "lonely", "slippery"};
      return J({trade(r), "kept", a_(r, kObjAdj, std::initializer_list<SV>{"lantern", "lamp", "candle", "bell",
                "whistle", "blanket", "stick", "umbrella"}, 70),
                pick(r, std::initializer_list<SV>{"by the door,", "on the windowsill,", "by the bed,",
                     "under the counter,", "on a hook,"}),
                pick(r, std::initializer_list<SV>{"because", "since", "for"}), reason(r, what, how)});
    },
    // 41. a gathering, purpose clause
    [](Rng& r) {
      return J({time_phrase(r) + ",", "the", plural(pick(r, kTrade)), "of", settlement(r), "gathered in",
                structure(r), "to", pick(r, std::initializer_list<SV>{"discuss", "admire", "inspect", "repair",
                "argue about", "celebrate", "plan"}), chance(r, 50) ? object(r) : structure(r)});
    },
    // 42. age and weathering, past perfect
    [](Rng& r) {
      return J({structure(r), "had stood", loc_prep(r), place(r),
                std::string(pick(r, std::initializer_list<SV>{"for many years", "for centuries",
                "for as long as anyone could remember", "since the old days", "for generations"})) + ",", "and its",
                plural(pick(r, kPart)), "had",
                past_participle(pick(r, std::initializer_list<SV>{"fade", "darken", "weather", "soften", "crack",
                    "sag", "settle", "warp", "bleach", "blacken"})),
                pick(r, std::initializer_list<SV>{"with age", "in the sun", "in the rain", "over the years",
                     "in the salt air", "in the frost"})});
    },
    // 43. a daily habit, present tense
    [](Rng& r) {
      return J({trade(r), third_person(pick(r, std::initializer_list<SV>{"sweep", "clean", "tidy", "inspect",
                "open", "close", "check", "air"})), "the", pick(r, std::initializer_list<SV>{"workshop", "shop",
                "bakery", "forge", "stable", "yard", "cellar", "attic", "stall", "storeroom"}),
                std::string(pick(r, std::initializer_list<SV>{"every morning", "each evening", "on market days",
                "whenever it rains", "when the bells ring", "before breakfast", "at sunset"})) + ",", "and",
                pronoun(r), plural(pick(r, kObj)), "are always",
                pick(r, std::initializer_list<SV>{"clean", "sharp", "polished", "tidy", "oiled", "ready", "neat",
                     "in good order", "where they belong"})});
    },
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Morphology.

std::string plural(std::string_view noun) {
  size_t sp = noun.rfind(' ');
  if (sp != std::string_view::npos) return std::string(noun.substr(0, sp + 1)) + plural(noun.substr(sp + 1));
  static constexpr std::pair<SV, SV> irregular[] = {
      {"knife", "knives"}, {"leaf", "leaves"},   {"loaf", "loaves"},     {"shelf", "shelves"}, {"scarf", "scarves"},
      {"thief", "thieves"}, {"half", "halves"},  {"calf", "calves"},     {"wharf", "wharves"}, {"hoof", "hooves"},
      {"wife", "wives"},   {"life", "lives"},    {"child", "children"},  {"foot", "feet"},     {"tooth", "teeth"},
      {"goose", "geese"},  {"ox", "oxen"},       {"deer", "deer"},       {"fish", "fish"},     {"salmon", "salmon"},
      {"trout", "trout"},  {"person", "people"}, {"potato", "potatoes"}, {"tomato", "tomatoes"}, {"hero", "heroes"},
      {"echo", "echoes"},  {"volcano", "volcanoes"}, {"mosquito", "mosquitoes"}, {"rushes", "rushes"},
      {"human", "humans"}, {"bus", "buses"},     {"stoneware", "stoneware"}, {"dray", "drays"},
  };
  for (const auto& [sg, pl] : irregular)
    if (noun == sg) return std::string(pl);
  std::string s(noun);
  if (ends_with(s, "man")) return s.substr(0, s.size() - 3) + "men";  // fisherman, ferryman, woman
  if (consonant_y(s)) return s.substr(0, s.size() - 1) + "ies";
  if (ends_with(s, "s") || ends_with(s, "x") || ends_with(s, "z") || ends_with(s, "ch") || ends_with(s, "sh"))
    return s + "es";
  return s + "s";
}

std::string past(std::string_view verb) {
  size_t sp = verb.find(' ');  // phrasal: "lie still" -> "lay still", "oil and polish" -> "oiled and polished"
  if (sp != std::string_view::npos) {
    SV head = verb.substr(0, sp), rest = verb.substr(sp + 1);
    if (starts_with(rest, "and ")) return past(head) + " and " + past(rest.substr(4));
    return past(head) + " " + std::string(rest);
  }
  if (const Irregular* e = find_irregular(verb)) return std::string(e->past);
  return regular_past(verb);
}

std::string past_participle(std::string_view verb) {
  size_t sp = verb.find(' ');
  if (sp != std::string_view::npos) {
    SV head = verb.substr(0, sp), rest = verb.substr(sp + 1);
    if (starts_with(rest, "and ")) return past_participle(head) + " and " + past_participle(rest.substr(4));
    return past_participle(head) + " " + std::string(rest);
  }
  if (const Irregular* e = find_irregular(verb)) return std::string(e->participle);
  return regular_past(verb);
}

std::string third_person(std::string_view verb) {
  std::string s(verb);
  if (s == "be") return "is";
  if (s == "have") return "has";
  if (consonant_y(s)) return s.substr(0, s.size() - 1) + "ies";
  if (ends_with(s, "s") || ends_with(s, "x") || ends_with(s, "z") || ends_with(s, "ch") || ends_with(s, "sh") ||
      ends_with(s, "o"))
    return s + "es";
  return s + "s";
}

std::string gerund(std::string_view verb) {
  std::string s(verb);
  if (ends_with(s, "ie")) return s.substr(0, s.size() - 2) + "ying";
  if (s.back() == 'e' && !ends_with(s, "ee") && !ends_with(s, "oe") && !ends_with(s, "ye") && s.size() > 2)
    return s.substr(0, s.size() - 1) + "ing";
  if (doubles_final(s)) return s + s.back() + "ing";
  return s + "ing";
}

std::string comparative(std::string_view adjective) { return graded(adjective, "er", "more"); }
std::string superlative(std::string_view adjective) { return graded(adjective, "est", "most"); }

std::string_view article(std::string_view w) {
  static constexpr SV a_before_vowel[] = {"one", "once", "uni", "use", "usu", "ute", "eu", "ewe", "uto"};
  static constexpr SV an_before_h[] = {"hour", "honest", "honor", "heir"};
  for (SV p : an_before_h)
    if (starts_with(w, p)) return "an";
  if (w.empty() || !is_vowel(w[0])) return "a";
  for (SV p : a_before_vowel)
    if (starts_with(w, p)) return "a";
  return "an";
}

std::string sentence(hsa::Rng& rng) {
  for (;;) {
    std::string s = kPatterns[rng.below(std::size(kPatterns))](rng);
    size_t words = 1;
    for (char c : s) words += (c == ' ');
    if (words >= 6 && words <= 35) return finish(std::move(s));
  }
}

}  // namespace hsa::prose
