#pragma once
// Opening an Engine as the suites that drive one need it.
#include "engine/engine.h"
#include "testvault.h"

#include <QSignalSpy>

namespace mf::test {

// Opens the vault in `dir` and waits for the Engine to say so; false (and the reason in the
// test's log) when it could not.
inline bool openEngine(Engine& engine, const QString& dir)
{
    QSignalSpy opened(&engine, &Engine::opened);
    engine.open(dir);
    if (!opened.wait(JobTimeoutMs))
        return false;
    const QString error = opened.first().first().toString();
    if (!error.isEmpty())
        qWarning("open: %s", qPrintable(error));
    return error.isEmpty();
}

// A vault for an Engine to open: small chunks (a float of a few MiB makes many of them), and
// closed here so that the Engine is the one holding it. Returns its folder.
inline QString prepareVault(TestVault& tv)
{
    tv.vault->setDefaultChunker(SmallChunks);
    const QString dir = tv.vault->directory();
    tv.vault.reset();
    return dir;
}

} // namespace mf::test
