#pragma once
#include "config/RunConfig.h"

#include <QWidget>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

class QComboBox;
class QFormLayout;
class QLabel;
class QTabWidget;

namespace gw {

struct RunParameter;

/// Every run parameter as a form, generated from RunParameters: a kind chooser on top, a tab per
/// page, one editor per parameter chosen by its type (spin box with its range and unit, combo box
/// of its choices, file chooser, check box), its help as tooltip, and "none"/"all" where null or
/// zero means that. The form follows the kind: only the sections and parameters it reads are shown,
/// and switching to a kind puts in that kind's own defaults (a backbone for fine-tuning).
class RunParameterForm : public QWidget {
    Q_OBJECT
public:
    /// @p reservedMnemonics: Alt+letters the surrounding dialog uses, which the form's labels avoid.
    explicit RunParameterForm(const QString &reservedMnemonics = QString(), QWidget *parent = nullptr);

    void setConfig(const RunConfig &config);
    /// The form as config JSON (an optional section that is off: null).
    nlohmann::json toJson() const;
    /// The config the form describes; an Error naming the key when it is not valid (the same
    /// message the JSON reader and the command line give).
    RunConfig config() const;

    /// @p message (an Error of config()) as the form's user reads it: each parameter key it names
    /// becomes the field's label and the tab it is on ("“Training samples” on Data").
    QString inFieldTerms(const QString &message) const;

    /// The editor of @p key (a QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox or QCheckBox); null if unknown.
    QWidget *editor(const QString &key) const;
    /// The kind chooser (its items' data are the kinds' ids).
    QComboBox *kindChooser() const { return kindChooser_; }
    QString kind() const;
    /// Switches the form to the kind @p id (as choosing it does).
    void setKind(const QString &id);
    /// Brings the editor of @p key into view (its page, scrolled to it) and gives it the focus.
    void reveal(const QString &key);
    /// Whether the editor of @p key is shown for the current kind.
    bool isShown(const QString &key) const;
    QTabWidget *tabs() const { return tabs_; }

Q_SIGNALS:
    /// Any editor changed.
    void changed();

private:
    struct Field {
        const RunParameter *parameter;
        QWidget *editor;
        std::function<nlohmann::json()> read;
        std::function<void(const nlohmann::json &)> write;
        QWidget *row = nullptr; ///< what its form row holds: the editor, or the editor with its browse button
    };
    Field makeField(const RunParameter &parameter);
    /// Shows what the kind @p id reads; with @p previous, puts in the defaults @p id sets differently.
    void followKind(const QString &id, const QString &previous);

    QTabWidget *tabs_;
    QComboBox *kindChooser_;
    QLabel *kindDescription_;
    QString shownKind_;
    std::vector<Field> fields_;
    /// Per section: its group box (null for the section a page is named after) and its form.
    struct SectionView {
        QString key;
        QWidget *group;
        QFormLayout *form;
    };
    std::vector<SectionView> sectionViews_;
};

} // namespace gw
