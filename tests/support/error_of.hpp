// The message of the ErrorType that fn throws; a test failure (and "") when
// it throws something else or nothing.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>

namespace instnn::testing {

template <typename ErrorType, typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ErrorType& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

}  // namespace instnn::testing
