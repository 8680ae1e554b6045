#include "credentialmove.h"

#include "credentialstore.h"

#include <QMetaObject>

namespace mf {

CredentialMove::CredentialMove(CredentialStore& from, CredentialStore& to, const QStringList& keys,
                               QObject* parent)
    : QObject(parent)
    , m_from(from)
    , m_to(to)
    , m_pending(keys)
{}

CredentialMove::~CredentialMove()
{
    if (m_job)
        m_job->deleteLater();
}

void CredentialMove::start()
{
    copyNext();
}

void CredentialMove::done(const Error& error)
{
    m_error = error;
    QMetaObject::invokeMethod(this, &CredentialMove::finished, Qt::QueuedConnection);
}

void CredentialMove::copyNext()
{
    if (m_pending.isEmpty())
        return removeNext();
    const QString key = m_pending.takeFirst();
    m_job = m_from.read(key);
    connect(m_job, &CredentialJob::finished, this, [this, key] {
        CredentialJob* read = m_job;
        read->deleteLater();
        if (read->error().kind == Error::Kind::NotFound)
            return copyNext();
        if (read->error())
            return done(Error::make(read->error().kind,
                                    QStringLiteral("Cannot read a secret from %1: %2")
                                        .arg(m_from.description(), read->error().message)));
        m_job = m_to.write(key, read->secrets());
        connect(m_job, &CredentialJob::finished, this, [this, key] {
            m_job->deleteLater();
            if (m_job->error())
                return done(Error::make(m_job->error().kind,
                                        QStringLiteral("Cannot write a secret to %1: %2")
                                            .arg(m_to.description(), m_job->error().message)));
            m_copied << key;
            copyNext();
        });
        m_job->start();
    });
    m_job->start();
}

void CredentialMove::removeNext()
{
    m_copiedAll = true;
    if (m_removed == m_copied.size())
        return done(Error::none());
    m_job = m_from.remove(m_copied.at(m_removed++));
    connect(m_job, &CredentialJob::finished, this, [this] {
        m_job->deleteLater();
        // The copies are in place: an original that cannot be removed is worth a word, not a
        // failure (the vault switches either way).
        if (m_job->error())
            return done(Error::make(
                m_job->error().kind,
                QStringLiteral("The secrets were copied to %1, but removing "
                               "them from %2 failed: %3")
                    .arg(m_to.description(), m_from.description(), m_job->error().message)));
        removeNext();
    });
    m_job->start();
}

} // namespace mf
