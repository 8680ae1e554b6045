#pragma once

// modelfloat-cli's exit codes, documented in README.md and `modelfloat-cli --help`.
namespace mf::cli {
enum ExitCode : int {
    Success = 0,
    Failed = 1,           // a transfer or provider failed; the message says why
    Usage = 2,            // bad arguments
    NotFound = 3,         // no such model, file, provider or vault
    IntegrityProblem = 4, // missing or corrupt data: a replica verify found bad, a chunk with no
                          // good copy anywhere, restored bytes that do not match
    AlreadyExists = 5,    // model name or destination exists (use --name / --force), or the
                          // model is being floated by another process (float, rm)
    BadInput = 6,         // a path is missing, unreadable, empty, or changed while read
    UnderReplicated = 7,  // every chunk has a good copy, but some fewer than wanted (verify;
                          // repair and provider drain could not make them all now)
    VaultUnusable = 8,    // the vault's registry is empty, damaged, unreadable or newer than
                          // this version; it was left untouched
    Interrupted = 130,    // Ctrl-C or SIGTERM; run the same command again to resume
    ReaderWentAway = 141, // the output's reader closed it (`cat … | head`); as after SIGPIPE
};
} // namespace mf::cli
