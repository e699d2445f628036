#include "kiln/jobs/job.h"

#include <array>

namespace kiln {
namespace {

struct StateNames {
  JobState state;
  std::string_view name;
  std::string_view bfl_status;
};

// One table so the stored name, the parser and BFL's status cannot drift apart.
constexpr std::array<StateNames, 7> kStates = {{
    {JobState::kQueued, "queued", "Pending"},
    {JobState::kRunning, "running", "Pending"},
    {JobState::kReady, "ready", "Ready"},
    {JobState::kRequestModerated, "request_moderated", "Request Moderated"},
    {JobState::kContentModerated, "content_moderated", "Content Moderated"},
    {JobState::kError, "error", "Error"},
    {JobState::kCancelled, "cancelled", "Error"},
}};

const StateNames* Find(JobState state) {
  for (const StateNames& s : kStates) {
    if (s.state == state) return &s;
  }
  return nullptr;
}

}  // namespace

std::string_view JobStateName(JobState state) {
  const StateNames* s = Find(state);
  return s ? s->name : "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (const StateNames& s : kStates) {
    if (s.name == name) return s.state;
  }
  return std::nullopt;
}

bool IsTerminal(JobState state) { return state != JobState::kQueued && state != JobState::kRunning; }

std::string_view BflStatus(JobState state) {
  const StateNames* s = Find(state);
  return s ? s->bfl_status : "Error";
}

std::string QuarantineBlobKey(const Job& job) { return "quarantine/" + job.tenant + "/" + job.id + ".png"; }

}  // namespace kiln
