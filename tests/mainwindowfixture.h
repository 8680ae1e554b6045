#pragma once
// The main window on an Engine opened over a fresh test vault, as the widget suites drive it.
#include "enginetestsupport.h"
#include "mainwindow.h"
#include "testvault.h"

#include <QSize>

#include <functional>
#include <memory>

namespace mf::test {

// A suite derives from it (after QObject) and calls openWindow() in each test that needs a
// window, and closeWindow() in cleanup().
class MainWindowFixture
{
public:
    struct Options
    {
        int extraProviders = 1;  // local providers beside the embedded one
        int replication = 0;     // copies the vault asks for; 0: its default
        bool syncPaused = false; // nothing repairs or checks behind the test's back
        QSize size{1100, 750};   // invalid: the window's own size
        // Runs on the vault while it is still open here (a setting of its registry).
        std::function<void(TestVault&)> prepareVault;
        // Runs once the window exists and before the engine opens (what a test hangs on them).
        std::function<void()> beforeOpen;
    };

protected:
    // A vault with small chunks, then the window made before the engine opens, as the app does;
    // true once the window reads the vault.
    bool openWindow(const Options& options)
    {
        m_tv = std::make_unique<TestVault>(options.extraProviders);
        if (!m_tv->ok())
            return false;
        m_tv->vault->setDefaultChunker(SmallChunks);
        if (options.replication > 0)
            m_tv->vault->setReplicationFactor(options.replication);
        if (options.prepareVault)
            options.prepareVault(*m_tv);
        const QString dir = m_tv->vault->directory();
        m_tv->vault.reset();
        m_engine = std::make_unique<Engine>();
        if (options.syncPaused)
            m_engine->setSyncPaused(true);
        m_window = std::make_unique<ui::MainWindow>(m_engine.get());
        if (options.size.isValid())
            m_window->resize(options.size);
        if (options.beforeOpen)
            options.beforeOpen();
        m_window->show();
        if (!openEngine(*m_engine, dir))
            return false;
        return QTest::qWaitFor([&] { return m_window->reader() != nullptr; }, JobTimeoutMs);
    }
    bool openWindow() { return openWindow(Options()); }

    // The window first, then the engine it shows, then the vault's folder.
    void closeWindow()
    {
        m_window.reset();
        m_engine.reset();
        m_tv.reset();
    }

    std::unique_ptr<TestVault> m_tv;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<ui::MainWindow> m_window;
};

} // namespace mf::test
