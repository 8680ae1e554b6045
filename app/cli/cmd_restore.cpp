#include "command.h"
#include "stdoutdevice.h"

#include "requests/restorerequest.h"
#include "transfer/rangejob.h"
#include "transfer/restorejob.h"
#include "util/units.h"
#include "vault/vault.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>

namespace mf::cli {

namespace {

class RestoreCommand final : public JobCommand<RestoreJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model to restore."));
        p.addPositionalArgument(QStringLiteral("file"),
                                QStringLiteral("Only this file of the model."),
                                QStringLiteral("[FILE]"));
        p.addOption({QStringLiteral("to"),
                     QStringLiteral("Destination folder (created if missing)."),
                     QStringLiteral("dir")});
        p.addOption({QStringLiteral("force"), QStringLiteral("Replace files that already exist.")});
        addDurabilityOptions(p);
        if (!parse(p, args, QStringLiteral("restore MODEL [FILE] --to DIR [--force]"), 1, 2))
            return;
        if (!p.isSet(QStringLiteral("to"))) {
            console().error(QStringLiteral("restore needs --to DIR"));
            return finish(Usage);
        }
        Vault* vault = openVault();
        if (!vault)
            return;
        // The request the app's queue runs (by name here), made into the same job.
        RestoreRequest request;
        request.modelName = p.positionalArguments().at(0);
        request.filePath = p.positionalArguments().value(1);
        request.destination = p.value(QStringLiteral("to"));
        request.overwrite = p.isSet(QStringLiteral("force"));
        m_vault = vault;
        m_modelName = request.modelName;
        JobContext context;
        context.parent = this;
        auto* job = qobject_cast<RestoreJob*>(request.makeJob(*vault, context).work);
        connect(job, &RestoreJob::finished, this, &RestoreCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        if (m_job->failure() == RestoreJob::Failure::Integrity && !m_catalogChecked) {
            m_catalogChecked = true;
            checkRemovedElsewhere(m_vault, {m_modelName}, [this](const auto& removals) {
                if (!removals.isEmpty())
                    return finishRemovedElsewhere(removals);
                report();
            });
            return;
        }
        report();
    }

    void report()
    {
        // A restore that ended well used another replica for each problem; one that failed may
        // have had none to use.
        const bool restored = m_job->failure() == RestoreJob::Failure::None;
        for (const QString& problem : m_job->problems())
            console().warning(restored ? problem + QStringLiteral(" (another replica was used)")
                                       : problem);
        const double secs = elapsedSeconds();
        QJsonObject doc{
            {QStringLiteral("ok"), m_job->failure() == RestoreJob::Failure::None},
            {QStringLiteral("files"), QJsonArray::fromStringList(m_job->restoredPaths())},
            {QStringLiteral("bytes"), m_job->progressNow().bytesDone},
            {QStringLiteral("problems"), QJsonArray::fromStringList(m_job->problems())},
            {QStringLiteral("seconds"), secs}};
        // The job says what exists in plain words; how to choose is this tool's own: --force.
        const QString error =
            m_job->failure() == RestoreJob::Failure::DestinationExists
                ? m_job->error().message + QStringLiteral("; use --force to replace %1")
                                               .arg(m_job->conflicts().size() == 1
                                                        ? QStringLiteral("it")
                                                        : QStringLiteral("them"))
                : m_job->error().message;
        if (!m_job->error().ok())
            doc.insert(QStringLiteral("error"), error);
        console().printJson(doc);
        if (m_job->failure() != RestoreJob::Failure::None)
            console().error(error);
        switch (m_job->failure()) {
        case RestoreJob::Failure::None:
            for (const QString& path : m_job->restoredPaths())
                console().print(QStringLiteral("Restored %1").arg(path));
            console().print(QStringLiteral("  %1 verified in %2 s, %3")
                                .arg(units::formatBytes(m_job->progressNow().bytesDone))
                                .arg(secs, 0, 'f', 1)
                                .arg(units::formatRate(m_job->progressNow().bytesDone / secs)));
            return finish(Success);
        case RestoreJob::Failure::NotFound:
        case RestoreJob::Failure::Incomplete:
            return finish(NotFound);
        case RestoreJob::Failure::DestinationExists:
            return finish(AlreadyExists);
        case RestoreJob::Failure::Integrity:
            return finish(IntegrityProblem);
        case RestoreJob::Failure::Cancelled:
            return finish(Interrupted);
        case RestoreJob::Failure::Transfer:
            return finish(Failed);
        }
    }

    Vault* m_vault = nullptr;
    QString m_modelName;
    bool m_catalogChecked = false;
};

// Reads --range: "A-B" (bytes A to B, inclusive) or "A-" (from A to the end), decimal byte
// offsets below 2^63. Anything else, a number that does not fit, B before A or a range past the
// end of the file is refused with the reason; nothing is clamped or wrapped.
bool parseRange(const QString& text, qint64 size, qint64* begin, qint64* end, QString* why)
{
    static const QRegularExpression re(QStringLiteral("^([0-9]+)-([0-9]*)$"));
    const auto m = re.match(text);
    if (!m.hasMatch()) {
        *why = QStringLiteral("--range takes A-B or A- (byte offsets, B inclusive), not “%1”")
                   .arg(text);
        return false;
    }
    bool okA = false, okB = true;
    const qint64 a = m.captured(1).toLongLong(&okA);
    const qint64 b = m.captured(2).isEmpty() ? -1 : m.captured(2).toLongLong(&okB);
    if (!okA || !okB) {
        *why = QStringLiteral("--range %1: %2 is too large for a byte offset")
                   .arg(text, okA ? m.captured(2) : m.captured(1));
        return false;
    }
    if (b >= 0 && b < a) {
        *why = QStringLiteral("--range %1: the end comes before the start").arg(text);
        return false;
    }
    if (a >= size || b >= size) {
        *why = QStringLiteral("The range %1 is outside the file, which has %2 bytes (the last "
                              "is byte %3)")
                   .arg(text)
                   .arg(size)
                   .arg(size - 1);
        return false;
    }
    *begin = a;
    *end = b < 0 ? size : b + 1;
    return true;
}

class CatCommand final : public JobCommand<RangeJob>
{
public:
    using JobCommand::JobCommand;

    void run(const QStringList& args) override
    {
        QCommandLineParser p;
        p.addPositionalArgument(QStringLiteral("model"), QStringLiteral("The model."));
        p.addPositionalArgument(QStringLiteral("file"),
                                QStringLiteral("The file inside the model."));
        p.addOption({QStringLiteral("range"),
                     QStringLiteral("Bytes A to B inclusive (A-B), or from A to the end (A-)."),
                     QStringLiteral("A-B")});
        if (!parse(p, args, QStringLiteral("cat MODEL FILE [--range A-B]"), 2, 2))
            return;
        Vault* vault = openVault();
        if (!vault)
            return;
        const QString modelName = p.positionalArguments().at(0);
        const QString filePath = p.positionalArguments().at(1);
        const auto model = vault->registry().modelRows().modelByName(modelName);
        if (!model) {
            console().error(QStringLiteral("There is no model named “%1”").arg(modelName));
            return finish(NotFound);
        }
        const auto file = vault->registry().modelRows().file(model->id, filePath);
        if (!file) {
            console().error(QStringLiteral("Model “%1” has no file “%2”").arg(modelName, filePath));
            return finish(NotFound);
        }
        qint64 begin = 0, end = file->size;
        QString why;
        if (p.isSet(QStringLiteral("range")) &&
            !parseRange(p.value(QStringLiteral("range")), file->size, &begin, &end, &why)) {
            console().error(why + QStringLiteral(" (“%1”)").arg(filePath));
            return finish(Usage);
        }
        auto* job = new RangeJob(vault, *file, begin, end, &m_out, this);
        connect(job, &RangeJob::warning, this, [this](const QString& w) { console().warning(w); });
        connect(job, &RangeJob::finished, this, &CatCommand::onFinished);
        runJob(job);
    }

private:
    void onFinished()
    {
        console().stopProgress();
        const Error& e = m_job->error();
        if (e.kind == Error::Kind::Cancelled)
            return finish(Interrupted);
        // The reader stopped reading (`cat … | head`): that is its choice, not an error to
        // report. The status is the one a shell shows for a program stopped by SIGPIPE.
        if ((m_job->outputFailed() || (e.ok() && !m_out.closeOutput())) && m_out.readerWentAway())
            return finish(ReaderWentAway);
        if (e.ok() && m_out.lastErrno() != 0) {
            console().error(QStringLiteral("Cannot write the output: %1").arg(m_out.errorString()));
            return finish(Failed);
        }
        if (!e.ok()) {
            console().error(e.message);
            return finish(e.kind == Error::Kind::Corrupt    ? IntegrityProblem
                          : e.kind == Error::Kind::NotFound ? NotFound
                                                            : Failed);
        }
        finish(Success);
    }

    StdoutDevice m_out;
};

} // namespace

Command* makeRestoreCommand(Context& c)
{
    return new RestoreCommand(c);
}
Command* makeCatCommand(Context& c)
{
    return new CatCommand(c);
}

} // namespace mf::cli
