#pragma once

// The fixture of the Registry suites (tst_registry, tst_registryfiles, tst_registryplacements):
// a fresh registry in a temporary folder for every test, a small hand-built vault, and records
// to fill it with.

#include "chunking/cid.h"
#include "queryplan.h"
#include "registry/migrations.h"
#include "registry/modelsummary.h"
#include "registry/registry.h"
#include "schemarewind.h"
#include "sqliteside.h"

#include <QFile>
#include <QJsonArray>
#include <QSemaphore>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <memory>

Q_DECLARE_METATYPE(mf::FileChunk)

namespace mf::test {

const QString Source = QStringLiteral("/models/source");

inline QString cidOf(const char* seed)
{
    return cid::ofData(QByteArray(seed));
}

inline QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

inline ProviderRecord providerRecord(const QString& name,
                                     const QString& kind = QStringLiteral("local"))
{
    ProviderRecord r;
    r.kind = kind;
    r.name = name;
    r.settings.insert(QStringLiteral("path"), QString(QStringLiteral("/srv/") + name));
    r.quotaBytes = 1 << 30;
    return r;
}

inline FileChunk chunk(int index, qint64 offset, qint64 size, const QString& cid)
{
    return FileChunk{index, offset, size, cid};
}

inline Placement placement(const QString& cid, qint64 provider, PlacementState state)
{
    return Placement{cid, provider, cid, state, {}};
}

// The fixture every suite of this family derives from: its state and helpers; each suite
// forwards its fixture slots (init, cleanup) here.
class RegistryTestBase : public QObject
{
protected:
    void init();
    void cleanup();
    QString dbPath() const { return m_dir->filePath(QStringLiteral("registry.sqlite")); }
    std::unique_ptr<Registry> openRegistry(const QString& path = {});
    // Two models sharing chunk A, on two providers (see the body for the layout).
    void buildVault(Registry& r);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Registry> m_r;
    // Filled by buildVault().
    qint64 m_p1 = 0, m_p2 = 0, m_m1 = 0, m_m2 = 0, m_f1 = 0, m_f2 = 0;
    QString m_a, m_b, m_c, m_d;
};

inline void RegistryTestBase::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_r = openRegistry();
    QVERIFY(m_r);
}

inline void RegistryTestBase::cleanup()
{
    m_r.reset();
    m_dir.reset();
}

inline std::unique_ptr<Registry> RegistryTestBase::openRegistry(const QString& path)
{
    QString error;
    auto r = Registry::open(path.isEmpty() ? dbPath() : path, &error);
    if (!r)
        qWarning() << "open failed:" << error;
    return r;
}

inline void RegistryTestBase::buildVault(Registry& r)
{
    // M1 / f1 (30 bytes): A B C        M2 / f2 (20 bytes): A D
    // placements: A@P1 stored, A@P2 stored, B@P1 stored, B@P2 pending, C@P1 missing,
    //             D@P2 corrupt
    m_a = cidOf("A");
    m_b = cidOf("B");
    m_c = cidOf("C");
    m_d = cidOf("D");
    m_p1 = r.providerRows().addProvider(providerRecord(QStringLiteral("p1"))).value_or(0);
    m_p2 = r.providerRows().addProvider(providerRecord(QStringLiteral("p2"))).value_or(0);
    QVERIFY(m_p1 > 0 && m_p2 > 0);
    m_m1 = r.modelRows().createModel(QStringLiteral("m1"), QStringLiteral("hf://m1")).value_or(0);
    m_m2 = r.modelRows().createModel(QStringLiteral("m2"), QStringLiteral("hf://m2")).value_or(0);
    QVERIFY(m_m1 > 0 && m_m2 > 0);
    m_f1 = r.modelRows()
               .beginFile(m_m1, QStringLiteral("w.bin"), 30, QStringLiteral("fixed"))
               .value_or(0);
    m_f2 = r.modelRows()
               .beginFile(m_m2, QStringLiteral("w.bin"), 20, QStringLiteral("fixed"))
               .value_or(0);
    QVERIFY(m_f1 > 0 && m_f2 > 0);
    QVERIFY(r.modelRows().appendChunks(
        m_f1, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_b), chunk(2, 20, 10, m_c)}));
    QVERIFY(r.modelRows().appendChunks(m_f2, {chunk(0, 0, 10, m_a), chunk(1, 10, 10, m_d)}));
    QVERIFY(r.modelRows().completeFile(m_f1, QByteArray(64, 'a'), {}));
    QVERIFY(r.modelRows().completeFile(m_f2, QByteArray(64, 'b'), {}));
    QVERIFY(r.placementRows().recordPlacement(placement(m_a, m_p1, PlacementState::Stored)));
    QVERIFY(r.placementRows().recordPlacement(placement(m_a, m_p2, PlacementState::Stored)));
    QVERIFY(r.placementRows().recordPlacement(placement(m_b, m_p1, PlacementState::Stored)));
    QVERIFY(r.placementRows().recordPlacement(placement(m_b, m_p2, PlacementState::Pending)));
    QVERIFY(r.placementRows().recordPlacement(placement(m_c, m_p1, PlacementState::Missing)));
    QVERIFY(r.placementRows().recordPlacement(placement(m_d, m_p2, PlacementState::Corrupt)));
}

} // namespace mf::test
