// history_recorder.cc -- part of mlhad.
//
// A Pythia 8 UserHooks plugin that records the fragmentation history of every event:
// every string break (each z draw of the string model, in kept and in thrown-away
// fragmentation attempts), every string's final two-hadron step, and -- when Pythia's
// post-hoc z storage is on (VariationFrag:z = on) -- every accept/reject trial of the
// Lund z sampler. It is loaded by Pythia's own plugin mechanism
// (Init:plugins = {<this library>::MlhadHistoryHooks}) and read out from Python through
// the plain C functions at the bottom (ctypes), in bulk, once per batch of events.
//
// Why C++: a Python UserHooks costs ~1.6 us per call in pybind11 dispatch plus ~0.3 us
// per attribute read, i.e. ~110 us per LEP1 event (~0.6 of bare Pythia's speed); this
// recorder costs a few us per event.

#include "Pythia8/Pythia.h"
#include "Pythia8/Plugins.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

using namespace Pythia8;

namespace {

// Field counts of the flat record layouts (kept in sync with mlhad/native/recorder.py).
constexpr int BREAK_DOUBLES = 9;   // z mT2 pxNew pyNew pxOld pyOld GammaOld xPosOld xNegOld
constexpr int BREAK_INTS = 6;      // fromPos idHad hadSoFar flavOld flavNew iEnd
constexpr int STRING_DOUBLES = 8;  // pxNew_pos pyNew_pos mT2_pos mT2_neg pxHad_pos pyHad_pos pxHad_neg pyHad_neg
constexpr int STRING_INTS = 7;     // n_records n_pos n_neg iEnd_pos iEnd_neg id_pos id_neg
constexpr int TRIAL_DOUBLES = 3;   // +-mT2 (sign: accepted) z fPrel
constexpr int TRIAL_INTS = 2;      // idOld idNew

struct Records {
  std::vector<double> breakD, stringD, trialD;
  std::vector<int32_t> breakI, stringI, trialI;
  std::vector<int64_t> nBreaks, nStrings, nTrials;  // per finished event
  void clear() {
    breakD.clear(); stringD.clear(); trialD.clear();
    breakI.clear(); stringI.clear(); trialI.clear();
    nBreaks.clear(); nStrings.clear(); nTrials.clear();
  }
};

}  // namespace

class MlhadHistoryHooks;

static std::mutex& registryMutex() { static std::mutex m; return m; }
static std::map<std::string, MlhadHistoryHooks*>& registry() {
  static std::map<std::string, MlhadHistoryHooks*> r;
  return r;
}

class MlhadHistoryHooks : public UserHooks {

public:

  MlhadHistoryHooks(Pythia*, Settings* settingsPtr, Logger*) {
    if (settingsPtr != nullptr && settingsPtr->isWord("MlhadHistory:key"))
      key = settingsPtr->word("MlhadHistory:key");
    std::lock_guard<std::mutex> lock(registryMutex());
    registry()[key] = this;
  }

  ~MlhadHistoryHooks() override {
    std::lock_guard<std::mutex> lock(registryMutex());
    auto it = registry().find(key);
    if (it != registry().end() && it->second == this) registry().erase(it);
  }

  // Event boundaries: a retried parton level or a failed event discards its records.
  void onBeginEvent() override { resetCurrent(); }
  bool canVetoPartonLevel() override { return true; }
  bool doVetoPartonLevel(const Event&) override { resetCurrent(); return false; }
  void onEndEvent(Status status) override {
    if (status == COMPLETE) commitCurrent();
    resetCurrent();
  }

  bool canVetoFragmentation() override { return true; }

  bool doVetoFragmentation(Particle, const StringEnd* e) override {
    const double d[BREAK_DOUBLES] = {e->zHad, e->mT2Had, e->pxNew, e->pyNew,
      e->pxOld, e->pyOld, e->GammaOld, e->xPosOld, e->xNegOld};
    const int32_t i[BREAK_INTS] = {e->fromPos ? 1 : 0, e->idHad, e->hadSoFar,
      e->flavOld.id, e->flavNew.id, e->iEnd};
    cur.breakD.insert(cur.breakD.end(), d, d + BREAK_DOUBLES);
    cur.breakI.insert(cur.breakI.end(), i, i + BREAK_INTS);
    return false;
  }

  bool doVetoFragmentation(Particle, Particle, const StringEnd*,
    const StringEnd*) override { return false; }

  bool doVetoFinalTwo(Particle hadPos, Particle hadNeg, const StringEnd* ePos,
    const StringEnd* eNeg) override {
    int64_t nNow = static_cast<int64_t>(cur.breakI.size() / BREAK_INTS);
    const double d[STRING_DOUBLES] = {ePos->pxNew, ePos->pyNew, ePos->mT2Had,
      eNeg->mT2Had, ePos->pxHad, ePos->pyHad, eNeg->pxHad, eNeg->pyHad};
    const int32_t i[STRING_INTS] = {static_cast<int32_t>(nNow - stringStart),
      ePos->hadSoFar, eNeg->hadSoFar, hadPos.mother1(), hadPos.mother2(),
      hadPos.id(), hadNeg.id()};
    cur.stringD.insert(cur.stringD.end(), d, d + STRING_DOUBLES);
    cur.stringI.insert(cur.stringI.end(), i, i + STRING_INTS);
    stringStart = nNow;
    return false;
  }

  // Move the finished records out (called from Python between batches).
  Records done;

private:

  void resetCurrent() {
    cur.breakD.clear(); cur.breakI.clear(); cur.stringD.clear(); cur.stringI.clear();
    stringStart = 0;
  }

  void commitCurrent() {
    done.breakD.insert(done.breakD.end(), cur.breakD.begin(), cur.breakD.end());
    done.breakI.insert(done.breakI.end(), cur.breakI.begin(), cur.breakI.end());
    done.stringD.insert(done.stringD.end(), cur.stringD.begin(), cur.stringD.end());
    done.stringI.insert(done.stringI.end(), cur.stringI.begin(), cur.stringI.end());
    done.nBreaks.push_back(static_cast<int64_t>(cur.breakI.size() / BREAK_INTS));
    done.nStrings.push_back(static_cast<int64_t>(cur.stringI.size() / STRING_INTS));
    // Pythia's own record of every z trial (only filled with VariationFrag:z = on).
    const WeightsFragmentation& wf = infoPtr->weightContainerPtr->weightsFragmentation;
    size_t nTrial = wf.zIntBreaks.size() / TRIAL_INTS;
    done.trialI.insert(done.trialI.end(), wf.zIntBreaks.begin(),
      wf.zIntBreaks.begin() + nTrial * TRIAL_INTS);
    done.trialD.insert(done.trialD.end(), wf.zDblBreaks.begin(),
      wf.zDblBreaks.begin() + nTrial * TRIAL_DOUBLES);
    done.nTrials.push_back(static_cast<int64_t>(nTrial));
  }

  std::string key;
  Records cur;
  int64_t stringStart = 0;

};

// Settings that the Python side sets before init (the registry key of this instance).
static void registerMlhadSettings(Settings* settingsPtr) {
  settingsPtr->addWord("MlhadHistory:key", "");
}

PYTHIA8_PLUGIN_CLASS(UserHooks, MlhadHistoryHooks, false, true, false)
PYTHIA8_PLUGIN_SETTINGS(registerMlhadSettings)
PYTHIA8_PLUGIN_VERSIONS(PYTHIA_VERSION_INTEGER)

//==========================================================================
// C interface for ctypes.

extern "C" {

int mlhad_history_abi() { return 1; }

void* mlhad_history_find(const char* key) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto it = registry().find(key);
  return it == registry().end() ? nullptr : static_cast<void*>(it->second);
}

// sizes: [events, breaks, strings, trials] currently buffered.
void mlhad_history_sizes(void* handle, int64_t* sizes) {
  auto* hooks = static_cast<MlhadHistoryHooks*>(handle);
  const Records& r = hooks->done;
  sizes[0] = static_cast<int64_t>(r.nBreaks.size());
  sizes[1] = static_cast<int64_t>(r.breakI.size() / BREAK_INTS);
  sizes[2] = static_cast<int64_t>(r.stringI.size() / STRING_INTS);
  sizes[3] = static_cast<int64_t>(r.trialI.size() / TRIAL_INTS);
}

// Copy all buffered records into caller-owned arrays of the sizes reported above,
// then clear the buffers. Layouts are row-major (record, field).
void mlhad_history_take(void* handle, int64_t* nBreaks, int64_t* nStrings,
  int64_t* nTrials, double* breakD, int32_t* breakI, double* stringD,
  int32_t* stringI, double* trialD, int32_t* trialI) {
  auto* hooks = static_cast<MlhadHistoryHooks*>(handle);
  Records& r = hooks->done;
  auto copy = [](auto* dst, const auto& src) {
    if (!src.empty()) std::memcpy(dst, src.data(), src.size() * sizeof(src[0]));
  };
  copy(nBreaks, r.nBreaks); copy(nStrings, r.nStrings); copy(nTrials, r.nTrials);
  copy(breakD, r.breakD); copy(breakI, r.breakI);
  copy(stringD, r.stringD); copy(stringI, r.stringI);
  copy(trialD, r.trialD); copy(trialI, r.trialI);
  r.clear();
}

}  // extern "C"
