// Built-in word lists (written by hand for this project) and the pseudo-word numbering.
//
// The one idea: a pseudo-word is index -> (syllable count k, k digits in base 80) with every digit a
// consonant-vowel syllable; the digits are scrambled by an invertible mix so neighbouring indices look
// unrelated, and the few results that are real words get an odd-length suffix. Syllable strings parse
// uniquely, so the whole map is injective by construction.
#include "generators/wordlists.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace hsa::words {
namespace {

// 799 words, sorted.
const char* const kNouns[] = {
    "accordion", "acorn", "airplane", "airport", "alley", "alligator", "almond", "anchor", "ankle", "ant", "antelope",
    "anvil", "apricot", "apron", "arch", "arm", "arrow", "ash", "atlas", "attic", "avenue", "axe", "bacon", "badge",
    "badger", "bag", "bakery", "balcony", "balloon", "banana", "banjo", "bank", "banner", "barge", "bark", "barley",
    "barn", "barometer", "barrel", "basement", "basket", "bathtub", "battery", "bay", "beach", "beak", "beam", "bean",
    "bear", "beard", "beaver", "bed", "bee", "beet", "beetle", "bell", "belt", "bench", "berry", "bicycle", "birch",
    "biscuit", "bison", "blanket", "blossom", "blouse", "blueberry", "board", "boat", "bog", "bolt", "bone", "bonnet",
    "book", "boot", "bottle", "boulder", "bow", "bowl", "bracelet", "branch", "brass", "bread", "brick", "bridge",
    "bridle", "bronze", "brooch", "brook", "broom", "brush", "bucket", "bud", "buffalo", "bulb", "bull", "bus",
    "bush", "butter", "butterfly", "button", "cabbage", "cabin", "cabinet", "cable", "cage", "cake", "calendar",
    "calf", "camel", "camera", "canary", "candle", "cane", "canoe", "canvas", "canyon", "cap", "car", "caramel",
    "card", "carp", "carpet", "carriage", "carrot", "cart", "castle", "caterpillar", "cathedral", "cave", "cedar",
    "ceiling", "cellar", "cello", "chain", "chair", "chapel", "cheese", "cheetah", "cherry", "chicken", "chimney",
    "chipmunk", "chisel", "church", "cider", "cinnamon", "city", "clam", "claw", "clay", "cliff", "cloak", "clock",
    "closet", "cloud", "clover", "coach", "coal", "coast", "coat", "coconut", "cod", "coffee", "coin", "collar",
    "column", "comb", "comet", "compass", "computer", "cookie", "copper", "cord", "corn", "cottage", "couch",
    "coupon", "courtyard", "cow", "crab", "cracker", "cradle", "crane", "crate", "crayon", "creek", "crib", "cricket",
    "crocodile", "crow", "crown", "crystal", "cucumber", "cup", "cupboard", "curtain", "cushion", "cypress",
    "daffodil", "dandelion", "deer", "desert", "diamond", "diary", "dictionary", "dish", "dock", "dog", "doll",
    "dolphin", "dome", "donkey", "door", "doorbell", "doormat", "dove", "dragonfly", "drawer", "dress", "drill",
    "drum", "duck", "dumpling", "dune", "dust", "eagle", "ear", "earring", "egg", "elbow", "elephant", "elk", "elm",
    "ember", "emerald", "engine", "envelope", "eraser", "eye", "face", "factory", "falcon", "fan", "farm", "faucet",
    "feather", "fence", "fern", "ferry", "field", "fig", "finch", "finger", "fir", "fire", "firefly", "fireplace",
    "fish", "flag", "flame", "flamingo", "flea", "floor", "flour", "flower", "flute", "fog", "forest", "forge",
    "fork", "fortress", "fountain", "fox", "frame", "freezer", "frost", "funnel", "fur", "garlic", "gate", "gazelle",
    "gem", "giraffe", "glacier", "globe", "glove", "goat", "gold", "goose", "gorilla", "gown", "granary", "grape",
    "grass", "grasshopper", "greenhouse", "guitar", "hail", "hair", "ham", "hammer", "hammock", "harbor", "hare",
    "harmonica", "harness", "harp", "hat", "hawk", "hazelnut", "head", "heater", "hedge", "hedgehog", "heel",
    "helicopter", "helmet", "hen", "heron", "highway", "hill", "hinge", "hippo", "hoe", "honey", "hood", "hoof",
    "hook", "horizon", "horn", "hornet", "horse", "hose", "hospital", "hotel", "hourglass", "house", "hummingbird",
    "hut", "ice", "icicle", "inn", "iron", "island", "jacket", "jaguar", "jam", "jar", "jewel", "journal", "juice",
    "jungle", "kangaroo", "kayak", "kettle", "key", "keyboard", "kite", "knee", "knife", "koala", "ladder", "ladle",
    "ladybug", "lake", "lamp", "lane", "lantern", "lavender", "leaf", "lemon", "lens", "lentil", "leopard", "letter",
    "lettuce", "lever", "library", "lighthouse", "lightning", "lip", "lizard", "llama", "loaf", "lobster", "lock",
    "locket", "locomotive", "log", "loom", "lotus", "magazine", "magnet", "mantel", "map", "maple", "marble",
    "market", "marsh", "mast", "mat", "mattress", "meadow", "medal", "melon", "meteor", "microscope", "mill",
    "mirror", "mist", "mitten", "monkey", "monument", "moon", "moose", "mop", "mosquito", "moss", "moth",
    "motorcycle", "mountain", "mouth", "mud", "muffin", "mug", "mule", "museum", "mushroom", "mustard", "nail",
    "napkin", "neck", "necklace", "needle", "net", "newspaper", "noodle", "nose", "notebook", "novel", "nutmeg",
    "oak", "oar", "oat", "ocean", "octopus", "oil", "onion", "orange", "orchard", "orchid", "ostrich", "otter",
    "oven", "owl", "ox", "oyster", "package", "paddle", "padlock", "painting", "palace", "palm", "pan", "pancake",
    "panda", "panel", "panther", "pantry", "parcel", "parlor", "parrot", "pasture", "path", "paw", "pea", "peach",
    "peacock", "peanut", "pear", "pebble", "pelican", "pen", "pencil", "pendant", "penguin", "pepper", "petal",
    "photograph", "piano", "pickle", "picture", "pie", "pier", "pig", "pigeon", "pillar", "pillow", "pine",
    "pinecone", "pipe", "pitchfork", "planet", "plank", "plate", "plow", "plug", "plum", "pocket", "pole", "pond",
    "pony", "pool", "poppy", "porch", "porridge", "post", "postcard", "poster", "pot", "potato", "pouch", "prairie",
    "pretzel", "printer", "prison", "pudding", "puddle", "pulley", "pumpkin", "puppy", "purse", "puzzle", "quilt",
    "rabbit", "raccoon", "radio", "radish", "raft", "rain", "rainbow", "raindrop", "rake", "ranch", "raspberry",
    "raven", "razor", "recipe", "reed", "refrigerator", "ribbon", "rice", "ring", "ripple", "river", "road", "robe",
    "rock", "rocket", "rod", "roof", "rooster", "root", "rope", "rudder", "rug", "ruler", "rye", "sack", "saddle",
    "sail", "salad", "salamander", "salmon", "salt", "sand", "sandal", "sandwich", "sapphire", "saucer", "sausage",
    "saw", "scarf", "scooter", "screw", "scythe", "sea", "seagull", "seal", "seed", "shadow", "shark", "shawl",
    "shed", "sheet", "shelf", "shell", "shield", "shingle", "ship", "shirt", "shoe", "shop", "shore", "shoulder",
    "shovel", "shower", "shrimp", "shrub", "sickle", "sieve", "silver", "sink", "skillet", "skin", "skirt", "skunk",
    "sky", "sled", "sleeve", "sleigh", "slipper", "slug", "smoke", "snail", "snake", "snow", "snowflake", "soap",
    "sock", "socket", "sofa", "soil", "soup", "spade", "spark", "sparrow", "spatula", "spear", "spice", "spider",
    "spindle", "sponge", "spoon", "spruce", "squid", "squirrel", "stable", "stadium", "staff", "stair", "staircase",
    "stamp", "star", "station", "statue", "steel", "stem", "stew", "stick", "stocking", "stone", "stool", "store",
    "stork", "storm", "stove", "strawberry", "stream", "street", "string", "stump", "submarine", "sugar", "sun",
    "sundial", "sunflower", "sunrise", "sunset", "swamp", "sweater", "sword", "syrup", "table", "tablecloth", "tail",
    "tambourine", "tank", "tart", "tavern", "tea", "teapot", "telephone", "telescope", "television", "temple", "tent",
    "theater", "thermometer", "thistle", "thorn", "thread", "thumb", "thunder", "ticket", "tide", "tiger", "tile",
    "tin", "toad", "toe", "toffee", "token", "tomato", "tongue", "tooth", "toothbrush", "torch", "tortoise", "towel",
    "tower", "town", "toy", "tractor", "trail", "train", "tram", "trap", "tray", "tree", "tricycle", "trophy",
    "trout", "trowel", "truck", "trumpet", "trunk", "tube", "tulip", "tuna", "tunnel", "turkey", "turnip", "turtle",
    "twig", "twine", "umbrella", "uniform", "valley", "valve", "van", "vase", "vest", "village", "vine", "vinegar",
    "vineyard", "violin", "volcano", "wagon", "wall", "wallet", "walnut", "walrus", "wardrobe", "warehouse", "wasp",
    "watch", "waterfall", "wave", "wedge", "weed", "well", "whale", "wharf", "wheat", "wheel", "wheelbarrow", "whisk",
    "whisker", "whistle", "willow", "wind", "windmill", "window", "wine", "wing", "wire", "woodpecker", "workshop",
    "worm", "wren", "wrench", "wrist", "yacht", "zebra", "zipper", "zoo",
};

// 438 words, sorted.
const char* const kAdjectives[] = {
    "able", "active", "agile", "airy", "ambitious", "ancient", "angry", "anxious", "arctic", "awful", "awkward",
    "bald", "balmy", "barren", "beautiful", "bent", "big", "bitter", "black", "bland", "blazing", "blue", "blunt",
    "bold", "brave", "breezy", "brief", "bright", "brittle", "broad", "broken", "brown", "bulky", "bumpy", "bushy",
    "busy", "buttery", "calm", "capable", "careful", "careless", "carved", "cautious", "central", "charming", "cheap",
    "checkered", "cheerful", "chewy", "chilly", "chubby", "clean", "clever", "closed", "cloudy", "clumsy", "coastal",
    "cold", "colorful", "common", "compact", "complete", "complex", "constant", "cool", "cozy", "cracked", "cramped",
    "creamy", "crimson", "crisp", "crispy", "crooked", "crowded", "crunchy", "curious", "curved", "dainty", "damp",
    "dangerous", "dark", "dazzling", "deep", "delicate", "delicious", "dewy", "dim", "dirty", "distant", "dotted",
    "drafty", "dry", "dull", "dusty", "eager", "early", "elastic", "elegant", "empty", "endless", "enormous",
    "entire", "even", "expensive", "extra", "faded", "faithful", "famous", "fancy", "fast", "fat", "fearless",
    "feeble", "ferocious", "fertile", "fierce", "final", "firm", "flat", "flexible", "flickering", "foggy", "folded",
    "foolish", "foreign", "fragile", "fragrant", "frequent", "fresh", "friendly", "frosty", "frozen", "full", "furry",
    "fuzzy", "generous", "gentle", "giant", "gifted", "glad", "gleaming", "gloomy", "glorious", "glossy", "glowing",
    "golden", "gorgeous", "graceful", "gracious", "gradual", "grand", "grassy", "grateful", "gray", "greasy",
    "greedy", "green", "grumpy", "hairy", "handsome", "handy", "happy", "hard", "harmless", "harsh", "healthy",
    "heavy", "hefty", "helpful", "helpless", "hidden", "high", "hilly", "hoarse", "hollow", "honest", "hopeful",
    "horrible", "hot", "huge", "humble", "humid", "hushed", "icy", "idle", "inner", "ivory", "jagged", "jealous",
    "jolly", "joyful", "juicy", "kind", "knitted", "large", "late", "lazy", "leafy", "lean", "level", "light",
    "liquid", "little", "lively", "local", "locked", "lonely", "long", "loose", "loud", "lovely", "low", "lower",
    "loyal", "lumpy", "lunar", "lush", "main", "marshy", "marvelous", "mellow", "merry", "messy", "metallic",
    "middle", "mighty", "mild", "mindful", "misty", "modern", "modest", "moist", "molten", "moonlit", "mossy",
    "muddy", "muffled", "mysterious", "narrow", "nasty", "nearby", "neat", "needy", "nervous", "new", "nimble",
    "noble", "noisy", "obvious", "odd", "oily", "old", "open", "orange", "ordinary", "outer", "painted", "pale",
    "patient", "peaceful", "perfect", "pink", "plain", "playful", "pleasant", "plump", "pointed", "polar", "polished",
    "polite", "poor", "precious", "pretty", "prickly", "proud", "purple", "quaint", "quick", "quiet", "ragged",
    "rainy", "rapid", "rare", "raw", "ready", "red", "reliable", "remote", "restful", "rich", "ripe", "rocky",
    "roomy", "rotten", "rough", "round", "royal", "rude", "rugged", "rural", "rustic", "rusty", "sad", "safe",
    "salty", "sandy", "scarlet", "secure", "serious", "severe", "shabby", "shadowy", "shady", "shaky", "shallow",
    "sharp", "shimmering", "shiny", "short", "shrill", "shy", "sick", "silent", "silky", "silly", "silver", "simple",
    "skilled", "skinny", "sleek", "sleepless", "sleepy", "slender", "slight", "slim", "slippery", "sloping", "slow",
    "small", "smart", "smoky", "smoldering", "smooth", "snowy", "snug", "soft", "solar", "solid", "sour", "spacious",
    "spare", "sparkling", "spicy", "splendid", "spotted", "stale", "steady", "steamy", "steep", "sticky", "stiff",
    "still", "stingy", "stony", "stormy", "stout", "straight", "strange", "strict", "striped", "strong", "stuffy",
    "sturdy", "sudden", "sunlit", "sunny", "sweet", "swift", "tall", "tame", "tangled", "tasty", "tattered", "tender",
    "terrible", "thankful", "thick", "thin", "thorny", "thoughtful", "thrifty", "tidy", "tight", "timid", "tiny",
    "torn", "tough", "tremendous", "tropical", "trusty", "twinkling", "twisted", "ugly", "uneven", "upper", "urban",
    "useful", "useless", "usual", "vacant", "vain", "valuable", "vast", "verdant", "vibrant", "visible", "vivid",
    "warm", "weak", "wealthy", "weary", "wet", "white", "whole", "wide", "wild", "winding", "windy", "wise", "witty",
    "wobbly", "wooded", "wooden", "woolly", "worn", "woven", "yellow", "young",
};

// 283 words, sorted.
const char* const kVerbs[] = {
    "add", "admire", "agree", "allow", "answer", "appear", "applaud", "arrange", "ask", "attach", "bake", "balance",
    "bathe", "beg", "begin", "behave", "believe", "belong", "bend", "bless", "blink", "blow", "boil", "bounce",
    "breathe", "brew", "build", "burn", "buy", "calculate", "call", "care", "carve", "celebrate", "change", "chase",
    "chat", "check", "cheer", "chew", "choose", "chop", "clap", "clean", "climb", "close", "collect", "comb",
    "compare", "complain", "cook", "copy", "count", "cover", "crack", "crawl", "cry", "cut", "dance", "decide",
    "decorate", "describe", "design", "dig", "dine", "discover", "dive", "divide", "draw", "dream", "dress", "drink",
    "dry", "dust", "earn", "eat", "enjoy", "erase", "examine", "explain", "fasten", "feed", "feel", "fill", "find",
    "finish", "fish", "fix", "float", "fold", "forgive", "freeze", "frown", "gather", "glow", "glue", "grin", "grind",
    "grow", "guard", "guess", "hammer", "hang", "happen", "harvest", "heal", "hear", "heat", "help", "hide", "hold",
    "hope", "hum", "hunt", "imagine", "improve", "inspect", "invent", "invite", "iron", "join", "joke", "jump",
    "kick", "kiss", "kneel", "knit", "knock", "know", "label", "laugh", "learn", "lick", "lift", "like", "listen",
    "live", "look", "love", "measure", "melt", "mend", "mix", "mop", "nod", "notice", "observe", "open", "order",
    "organize", "pack", "paint", "peel", "perform", "plan", "plant", "play", "please", "point", "polish", "pour",
    "practice", "praise", "pray", "prefer", "prepare", "press", "pretend", "print", "promise", "protect", "pull",
    "pump", "punch", "push", "question", "read", "realize", "recite", "record", "relax", "remember", "repair",
    "repeat", "reply", "report", "rescue", "rest", "rinse", "roast", "rub", "save", "say", "scrub", "search", "see",
    "sew", "shake", "shape", "sharpen", "shave", "shine", "shout", "shovel", "sigh", "sign", "sing", "sip", "sit",
    "sketch", "sleep", "slice", "smell", "smile", "sneeze", "snore", "solve", "sort", "speak", "spell", "spill",
    "spin", "splash", "sprinkle", "squeeze", "stack", "stare", "start", "stay", "steer", "stir", "stitch", "stop",
    "stretch", "study", "sweep", "swim", "swing", "talk", "taste", "teach", "tell", "thank", "think", "tickle",
    "tidy", "tie", "toast", "touch", "trace", "train", "trim", "trust", "try", "tune", "twist", "type", "understand",
    "unlock", "unpack", "use", "wait", "wake", "want", "warm", "wash", "watch", "water", "wave", "weave", "weigh",
    "whisper", "whistle", "win", "wipe", "wish", "wonder", "work", "worry", "wrap", "write", "yawn", "yell",
};

// Story vocabulary and person names that pseudo-words must never spell (the lists above exclude them too),
// plus common short English words of consonant-vowel shape.
const char* const kBlockedExtra[] = {
    "bedroom", "kitchen", "garden", "hallway", "bathroom", "office", "school", "park", "cinema", "apple",
    "football", "milk", "mouse", "mice", "sheep", "wolf", "wolves", "lion", "swan", "frog", "rhino",
    "triangle", "square", "rectangle", "sphere", "box", "chest", "chocolate", "container", "suitcase", "north",
    "south", "east", "west", "left", "right", "above", "below", "hungry", "thirsty", "tired", "bored", "magic",
    "special", "afraid", "moved", "went", "journeyed", "travelled", "traveled", "got", "grabbed", "picked",
    "took", "dropped", "discarded", "put", "gave", "handed", "passed", "received", "carrying", "move", "take",
    "give", "gone", "done", "mary", "john", "sandra", "daniel", "bill", "fred", "jeff", "julie", "emily",
    "gertrude", "winona", "jessica", "lily", "bernhard", "greg", "brian", "julius", "yann", "sumit", "jason",
    "antoine", "have", "more", "some", "make", "time", "like", "home", "made", "came", "come", "here", "were",
    "same", "sure", "wide", "nine", "five", "note", "hope", "name", "life", "late", "side", "love", "live",
    "fire", "safe", "male", "mile", "wife", "hole", "pole", "tide", "vote", "rule", "tune", "wine", "wire",
    "mine", "pine", "line", "fine", "bone", "tone", "zone", "rope", "robe", "nose", "rose", "hose", "dome",
    "dune", "lake", "bake", "wake", "sale", "tale", "kite", "site", "mute", "cute", "page", "sage", "wage",
    "gate", "date", "rate", "fate", "hate", "mate", "lane", "mane", "pane", "wave", "save", "cave", "pale",
    "dine", "ride", "hide", "wipe", "pipe", "ripe", "tube", "fume", "nude", "ruse", "muse", "fuse", "dose",
    "pose", "lose", "hero", "zero", "data", "pizza", "tomato", "potato", "banana", "solo", "memo", "menu",
    "radio", "piano", "volume", "minute", "debate", "relative", "negative", "positive", "decide", "divide",
    "define", "refuse", "amuse", "remote", "devote", "denote", "senate", "domino", "dominate", "tolerate",
    "nominate", "pirate", "famine", "ravine", "salute", "visa", "sofa", "lava", "soda", "tuna", "puma", "koala",
    "kimono", "bikini", "safari", "tobago", "toronto", "kenya", "lima", "rome", "paris", "moscow", "tokyo",
    "nepal", "peru", "cuba", "mali", "fiji", "samoa", "tonga", "kuwait", "oman", "mike", "pete", "mona",
    "rita", "tina", "nina", "dina", "lisa", "rosa", "sara", "dave", "gina", "tara", "vera", "nora", "dora",
    "lena", "mila", "sofi", "kate", "jane", "jose", "hana", "maria", "lola", "lulu", "lupe", "mina", "nadine",
    "bonita", "amanda", "pamela", "tamara", "natali", "robin", "ruby",
};

constexpr char kConsonants[] = "bdfghklmnprstvwz";  // 16
constexpr char kVowels[] = "aeiou";                 // 5
constexpr uint64_t kSyl = 80;                       // syllables per digit
constexpr int kMinSyl = 2, kMaxSyl = 7;

template <size_t N>
std::vector<std::string> to_sorted_vector(const char* const (&arr)[N]) {
  std::vector<std::string> v(arr, arr + N);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

uint64_t band_size(int k) {
  uint64_t s = 1;
  for (int j = 0; j < k; ++j) s *= kSyl;
  return s;
}

// Every word that a pseudo-word could collide with, sorted for binary search.
const std::vector<std::string>& blocked() {
  static const std::vector<std::string> b = [] {
    std::vector<std::string> v;
    for (const auto* list : {&nouns(), &adjectives(), &verbs()}) v.insert(v.end(), list->begin(), list->end());
    for (const char* w : kBlockedExtra) v.emplace_back(w);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return b;
}

bool is_blocked(std::string_view w) {
  const auto& b = blocked();
  auto it = std::lower_bound(b.begin(), b.end(), w, [](const std::string& a, std::string_view x) { return a < x; });
  return it != b.end() && *it == w;
}

// The blocked words that are themselves syllable strings, as (syllable count, packed digits) codes: the
// common-case test "is this pseudo-word a real word?" is then one binary search over integers.
uint64_t syllable_code(int k, uint64_t packed) { return (static_cast<uint64_t>(k) << 56) | packed; }

const std::vector<uint64_t>& blocked_codes() {
  static const std::vector<uint64_t> codes = [] {
    std::vector<uint64_t> v;
    for (const auto& w : blocked()) {
      if (w.size() % 2 != 0 || w.size() < 2 * kMinSyl || w.size() > 2 * kMaxSyl) continue;
      uint64_t packed = 0;
      bool ok = true;
      for (size_t j = 0; ok && j < w.size() / 2; ++j) {
        const char* c = std::char_traits<char>::find(kConsonants, 16, w[2 * j]);
        const char* v5 = std::char_traits<char>::find(kVowels, 5, w[2 * j + 1]);
        ok = c != nullptr && v5 != nullptr;
        if (ok) packed |= static_cast<uint64_t>((c - kConsonants) * 5 + (v5 - kVowels)) << (7 * j);
      }
      if (ok) v.push_back(syllable_code(static_cast<int>(w.size() / 2), packed));
    }
    std::sort(v.begin(), v.end());
    return v;
  }();
  return codes;
}

}  // namespace

const std::vector<std::string>& nouns() {
  static const std::vector<std::string> v = to_sorted_vector(kNouns);
  return v;
}

const std::vector<std::string>& adjectives() {
  static const std::vector<std::string> v = to_sorted_vector(kAdjectives);
  return v;
}

const std::vector<std::string>& verbs() {
  static const std::vector<std::string> v = to_sorted_vector(kVerbs);
  return v;
}

uint64_t pseudo_word_capacity() {
  uint64_t c = 0;
  for (int k = kMinSyl; k <= kMaxSyl; ++k) c += band_size(k);
  return c;
}

std::string pseudo_word(uint64_t i) {
  static const uint64_t capacity = pseudo_word_capacity();
  if (i >= capacity) i %= capacity;
  // 1. Band: the first 80^2 indices get 2 syllables, the next 80^3 get 3, and so on.
  int k = kMinSyl;
  while (i >= band_size(k)) {
    i -= band_size(k);
    ++k;
  }
  // 2. Digits of the offset in base 80.
  uint32_t d[kMaxSyl];
  for (int j = 0; j < k; ++j) {
    d[j] = static_cast<uint32_t>(i % kSyl);
    i /= kSyl;
  }
  // 3. Invertible scramble: each step adds to one digit a hash of all the others (a Feistel-like round on
  //    digits), so it can be undone step by step and distinct offsets stay distinct.
  //    The other digits (7 bits each, at most 7 of them) are packed into one word and hashed once.
  uint64_t packed = 0;
  for (int j = 0; j < k; ++j) packed |= static_cast<uint64_t>(d[j]) << (7 * j);
  for (int round = 0; round < 2; ++round) {
    for (int j = 0; j < k; ++j) {
      const uint64_t mask = uint64_t{0x7f} << (7 * j);
      const uint64_t salt = 0x51ed270b27a3f1c5ULL * static_cast<uint64_t>(round * 16 + j + 1) + static_cast<uint64_t>(k);
      uint64_t h = ((packed & ~mask) ^ salt) * 0x9e3779b97f4a7c15ULL;
      h ^= h >> 29;
      h *= 0xbf58476d1ce4e5b9ULL;
      uint64_t nd = d[j] + (((h >> 32) * kSyl) >> 32);  // + a value in [0, 80)
      if (nd >= kSyl) nd -= kSyl;
      d[j] = static_cast<uint32_t>(nd);
      packed = (packed & ~mask) | (nd << (7 * j));
    }
  }
  // 4. Spell: each digit is one consonant-vowel syllable.
  std::string w;
  w.reserve(2 * kMaxSyl + 1);
  for (int j = 0; j < k; ++j) {
    w.push_back(kConsonants[d[j] / 5]);
    w.push_back(kVowels[d[j] % 5]);
  }
  // 5. A real word (found by its syllable code): add one letter. Suffixed words have odd length, so they
  //    cannot equal any unsuffixed pseudo-word, and distinct bases stay distinct; 'q' is the fallback if
  //    base+'x' is itself blocked.
  const auto& codes = blocked_codes();
  if (std::binary_search(codes.begin(), codes.end(), syllable_code(k, packed))) {
    w.push_back('x');
    if (is_blocked(w)) w.back() = 'q';
  }
  return w;
}

}  // namespace hsa::words
