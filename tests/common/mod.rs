//! Helpers shared by the integration tests (each test file includes this module with
//! `mod common;` and uses what it needs).
#![allow(dead_code)]

use ascend_kernels::Error;

/// The message of a failure the emulator reported through the device path: a kernel that broke
/// an AscendC rule (from `aclrtSynchronizeStream`, code 507015 `ACL_ERROR_RT_AICORE_EXCEPTION`,
/// the message starting `kernel ak_<unit>: core N: <API>: ...`) or a launch the emulator refused
/// (from the launcher `ak_<unit>_launch`). Panics on anything else.
pub fn emulator_error<T: std::fmt::Debug>(r: ascend_kernels::Result<T>) -> String {
    match r {
        Err(Error::Runtime {
            runtime,
            api,
            code,
            message,
        }) => {
            assert_eq!(runtime, "emulator");
            assert_ne!(code, 0);
            if api == "aclrtSynchronizeStream" {
                assert_eq!(code, 507_015, "{message}");
                assert!(message.starts_with("kernel ak_"), "{message}");
            } else {
                assert!(
                    api.starts_with("ak_") && api.ends_with("_launch"),
                    "unexpected API {api}: {message}"
                );
            }
            message
        }
        other => panic!("expected an emulator error, got {other:?}"),
    }
}
