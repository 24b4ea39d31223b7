// Sentences for the data benchmarks: medical-flavoured, 4-20 words.
#pragma once

#include <string>
#include <vector>

namespace jstip::data::bench {

inline std::vector<std::string> sentences(size_t count) {
  static const char* base[] = {
      "the patient was given aspirin for the headache",
      "take metformin five hundred milligrams twice a day with meals",
      "she had pneumonia and was treated with amoxicillin for a week",
      "blood pressure was high so the doctor started lisinopril",
      "call the nurse if the pain gets worse during the night",
      "the x ray shows a small fracture of the left wrist",
      "his asthma improved after he started using the salbutamol inhaler every morning before school",
      "no known drug allergies",
      "the child has a fever and a sore throat",
      "insulin doses were adjusted after the blood sugar readings came back very high again",
      "warfarin interacts with many drugs so the dose is checked often at the clinic",
      "rest and drink plenty of water"};
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) out.push_back(base[i % (sizeof(base) / sizeof(base[0]))]);
  return out;
}

}  // namespace jstip::data::bench
