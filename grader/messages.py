"""The catalog of every message the grader shows, and its rendering.

Each entry maps a key to its text in every language of ``LANGUAGES``, written
with ``str.format`` fields, and both versions of an entry use the same fields.
Parameters that are floats are shown with 4 significant digits. Parameters
that are messages are rendered first, in the same language, and None shows
as "?". Keys are grouped by who reads them, and other modules add theirs in
one block each at the end.
"""

from __future__ import annotations

import os
import re
import string

from grader.result import Message

LANGUAGES = ("en", "it")
DEFAULT_LANGUAGE = "en"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
"""Checked in this order, as POSIX does for the language of messages."""

CATALOG: dict[str, dict[str, str]] = {
    # -- where a call happened
    "where_load": {
        "en": "while loading your file (its top-level code)",
        "it": "durante il caricamento del file (il codice al livello principale)",
    },
    "where_method": {"en": "in {method}", "it": "in {method}"},
    "at_line": {"en": " (line {line})", "it": " (riga {line})"},
    "position_line": {"en": "line {line}", "it": "riga {line}"},
    "position_line_column": {
        "en": "line {line}, column {column}",
        "it": "riga {line}, colonna {column}",
    },
    "position_in_cell": {"en": "{cell}, {position}", "it": "{cell}, {position}"},
    "cell_label": {"en": "cell {number}", "it": "cella {number}"},
    # -- the checks
    "check_load": {
        "en": "The file loads and defines Layer and Perceptron",
        "it": "Il file si carica e definisce Layer e Perceptron",
    },
    "check_backward.d_weights": {
        "en": "backward(): d_weights = dz . inputs^T",
        "it": "backward(): d_weights = dz . inputs^T",
    },
    "check_backward.d_biases": {
        "en": "backward(): d_biases = dz",
        "it": "backward(): d_biases = dz",
    },
    "check_backward.da_prev": {
        "en": "backward(): returns da_prev = W^T . dz",
        "it": "backward(): restituisce da_prev = W^T . dz",
    },
    "check_backward.update": {
        "en": "backward(): W -= lr * d_weights, b -= lr * d_biases",
        "it": "backward(): W -= lr * d_weights, b -= lr * d_biases",
    },
    "check_fit.one_step": {
        "en": "fit(): one example moves every layer by one SGD step",
        "it": "fit(): un esempio sposta ogni layer di un passo di SGD",
    },
    "check_fit.replay": {
        "en": "fit(): several epochs match the expected training",
        "it": "fit(): più epoche coincidono con l'addestramento atteso",
    },
    "check_fit.loss_report": {
        "en": "fit(): prints the average loss of each epoch",
        "it": "fit(): stampa la loss media di ogni epoca",
    },
    "check_fit.loss_falls": {
        "en": "fit(): the loss falls every epoch at learning rate 0.01",
        "it": "fit(): la loss scende a ogni epoca con learning rate 0.01",
    },
    # -- names of values in the messages below
    "term_returned": {
        "en": "The value backward() returns",
        "it": "Il valore restituito da backward()",
    },
    "term_layer_weights": {
        "en": "The weights of layer {layer}",
        "it": "I pesi del layer {layer}",
    },
    "term_layer_biases": {
        "en": "The biases of layer {layer}",
        "it": "I bias del layer {layer}",
    },
    "term_weights": {"en": "weights", "it": "pesi"},
    "term_biases": {"en": "biases", "it": "bias"},
    "case_layer": {
        "en": "{activation} layer {n_inputs}->{n_neurons}",
        "it": "layer {activation} {n_inputs}->{n_neurons}",
    },
    "case_second_call": {
        "en": "{layer}, second call",
        "it": "{layer}, seconda chiamata",
    },
    "params_both": {
        "en": "self.weights and self.biases",
        "it": "self.weights e self.biases",
    },
    "params_weights": {"en": "self.weights", "it": "self.weights"},
    "params_biases": {"en": "self.biases", "it": "self.biases"},
    # -- failures of a call
    "timeout": {
        "en": "Your code was stopped after {seconds:g} s {where}: {hint}",
        "it": "Il tuo codice è stato fermato dopo {seconds:g} s {where}: {hint}",
    },
    "hint_load": {
        "en": "check the top-level code for a loop that never ends or a long "
        "training run.",
        "it": "controlla se nel codice al livello principale c'è un ciclo che non "
        "finisce mai o un addestramento lungo.",
    },
    "hint_backward()": {
        "en": "check backward() for a loop that never ends.",
        "it": "controlla se in backward() c'è un ciclo che non finisce mai.",
    },
    "hint_fit()": {
        "en": "check the loop over the epochs and the loop over the examples.",
        "it": "controlla il ciclo sulle epoche e quello sugli esempi.",
    },
    "hint_other": {
        "en": "check it for a loop that never ends.",
        "it": "controlla se c'è un ciclo che non finisce mai.",
    },
    "skipped_after_timeout": {
        "en": "Not run, because {method} did not finish in time and fit() calls it.",
        "it": "Non eseguito, perché {method} non è terminato in tempo e fit() lo "
        "chiama.",
    },
    "output_limit": {
        "en": "Your code printed more than {size} MB {where}, so it was stopped: "
        "print less, for example once per epoch.",
        "it": "Il tuo codice ha stampato più di {size} MB {where}, quindi è stato "
        "fermato: stampa meno, per esempio una volta per epoca.",
    },
    "invalid_reply": {
        "en": "Your code interfered with the grader {where}, so its results could "
        "not be read.",
        "it": "Il tuo codice ha interferito con il correttore {where}, quindi non è "
        "stato possibile leggere i suoi risultati.",
    },
    "cpu_limit": {
        "en": "Your code used more CPU time than allowed {where}: look for a loop "
        "that never ends.",
        "it": "Il tuo codice ha usato più tempo di CPU di quello consentito {where}: "
        "cerca un ciclo che non finisce mai.",
    },
    "killed": {
        "en": "Your code was ended by signal {signal} {where}. It may have run out "
        "of memory or crashed inside NumPy.",
        "it": "Il tuo codice è stato terminato dal segnale {signal} {where}. Forse "
        "ha esaurito la memoria o si è bloccato dentro NumPy.",
    },
    "exited": {
        "en": "Your code ended the process with exit code {code} {where}: remove "
        "calls to exit(), sys.exit() or os._exit().",
        "it": "Il tuo codice ha chiuso il processo con codice di uscita {code} "
        "{where}: togli le chiamate a exit(), sys.exit() o os._exit().",
    },
    "not_implemented": {
        "en": "{method} is not written yet: it still raises NotImplementedError.",
        "it": "{method} non è ancora scritto: solleva ancora NotImplementedError.",
    },
    "exit_called": {
        "en": "Your code raised {type} {where}{line_text}: remove calls to exit() "
        "or sys.exit(), and do not raise {type}.",
        "it": "Il tuo codice ha sollevato {type} {where}{line_text}: togli le "
        "chiamate a exit() o sys.exit() e non sollevare {type}.",
    },
    "out_of_memory": {
        "en": "Your code ran out of memory {where}: look for arrays or lists that "
        "grow without end.",
        "it": "Il tuo codice ha esaurito la memoria {where}: cerca array o liste che "
        "crescono senza fine.",
    },
    "recursion": {
        "en": "Your code recursed too deeply {where}: {message}",
        "it": "Il tuo codice è andato in una ricorsione troppo profonda {where}: "
        "{message}",
    },
    "raised": {
        "en": "Your code raised {type} {where}{line_text}: {message}",
        "it": "Il tuo codice ha sollevato {type} {where}{line_text}: {message}",
    },
    # -- values a submission produced
    "value_none": {
        "en": "{what}: expected an array of shape {shape}, found None.",
        "it": "{what}: atteso un array di forma {shape}, trovato None.",
    },
    "value_not_array": {
        "en": "{what}: expected an array of numbers of shape {shape}, found a {type}.",
        "it": "{what}: atteso un array di numeri di forma {shape}, trovato un "
        "oggetto {type}.",
    },
    "value_wrong_shape": {
        "en": "{what}: expected shape {shape}, found shape {found}.",
        "it": "{what}: attesa la forma {shape}, trovata la forma {found}.",
    },
    "value_not_finite": {
        "en": "{what}: the array contains {bad} values. Check for a division by "
        "zero or a log of 0.",
        "it": "{what}: l'array contiene valori {bad}. Controlla se c'è una divisione "
        "per zero o un logaritmo di 0.",
    },
    "state_before_backward": {
        "en": "Before backward() was called, the layer was not as Layer.__init__ "
        "and forward() leave it: {detail} Keep the given __init__ and forward().",
        "it": "Prima della chiamata a backward() il layer non era come lo lasciano "
        "Layer.__init__ e forward(): {detail} Non modificare __init__ e forward() "
        "che ti sono stati dati.",
    },
    # -- backward
    "gradient_wrong": {
        "en": "d_{what} is wrong for the {case}: at {index} expected {expected}, "
        "found {found} (relative error {error:.2g}). The grader reads your "
        "d_{what} as the change of self.{what} divided by the learning rate.",
        "it": "d_{what} è sbagliato per il {case}: in {index} atteso {expected}, "
        "trovato {found} (errore relativo {error:.2g}). Il correttore ricava il "
        "tuo d_{what} dalla variazione di self.{what} divisa per il learning rate.",
    },
    "gradient_wrong_later": {
        "en": "d_{what} is right on the first call but wrong on the next call to "
        "the same layer ({case}): at {index} expected {expected}, found {found}. "
        "backward() must not keep anything from one call to the next.",
        "it": "d_{what} è giusto alla prima chiamata ma sbagliato alla chiamata "
        "successiva sullo stesso layer ({case}): in {index} atteso {expected}, "
        "trovato {found}. backward() non deve conservare niente da una chiamata "
        "all'altra.",
    },
    "gradient_scaled": {
        "en": "The step of self.{what} is {factor:.4g} times learning_rate * "
        "d_{what}, with the learning rate passed in: look for an extra factor, or a "
        "division, in the formula of d_{what} or in the update.",
        "it": "Il passo di self.{what} è {factor:.4g} volte learning_rate * "
        "d_{what}, con il learning rate ricevuto: cerca un fattore in più, o una "
        "divisione, nella formula di d_{what} o nell'aggiornamento.",
    },
    "not_changed": {
        "en": "backward() did not change self.{what}: after computing d_{what}, "
        "take the gradient-descent step on self.{what} and store the result in it.",
        "it": "backward() non ha cambiato self.{what}: dopo aver calcolato "
        "d_{what}, fai il passo di discesa del gradiente su self.{what} e salva lì "
        "il risultato.",
    },
    "step_uphill": {
        "en": "self.{what} moves in the direction of the gradient: subtract "
        "learning_rate * d_{what} instead of adding it.",
        "it": "self.{what} si sposta nella direzione del gradiente: sottrai "
        "learning_rate * d_{what} invece di sommarlo.",
    },
    "learning_rate_ignored": {
        "en": "The step of self.{what} does not depend on the learning rate passed "
        "to backward() (it is always {factor:.4g} times the gradient): multiply by "
        "the learning_rate argument.",
        "it": "Il passo di self.{what} non dipende dal learning rate passato a "
        "backward() (è sempre {factor:.4g} volte il gradiente): moltiplica per "
        "l'argomento learning_rate.",
    },
    "learning_rate_twice": {
        "en": "The step of self.{what} grows with the square of the learning rate: "
        "multiply by learning_rate only once.",
        "it": "Il passo di self.{what} cresce con il quadrato del learning rate: "
        "moltiplica per learning_rate una volta sola.",
    },
    "learning_rate_misused": {
        "en": "The step of self.{what} is not learning_rate * d_{what}: check how "
        "the update uses the learning rate.",
        "it": "Il passo di self.{what} non è learning_rate * d_{what}: controlla "
        "come l'aggiornamento usa il learning rate.",
    },
    "input_mutated": {
        "en": "{method} changed the {what} array it received: compute new arrays "
        "(dz = da * ...) instead of changing it in place.",
        "it": "{method} ha modificato l'array {what} che ha ricevuto: calcola array "
        "nuovi (dz = da * ...) invece di modificarlo sul posto.",
    },
    "da_prev_wrong": {
        "en": "The da_prev that backward() returns is wrong for the {case}: at "
        "{index} expected {expected}, found {found} (relative error {error:.2g}).",
        "it": "Il da_prev restituito da backward() è sbagliato per il {case}: in "
        "{index} atteso {expected}, trovato {found} (errore relativo {error:.2g}).",
    },
    # -- fit
    "one_step_wrong": {
        "en": "After fit() on one example for one epoch, the {what} of layer "
        "{layer} (of {layers}) are not one SGD step of that example's loss: at "
        "{index} expected {expected}, found {found}.",
        "it": "Dopo fit() su un solo esempio per un'epoca, i {what} del layer "
        "{layer} (su {layers}) non sono un passo di SGD sulla loss di quell'esempio: "
        "in {index} atteso {expected}, trovato {found}.",
    },
    "replay_wrong": {
        "en": "After several epochs of fit(), the {what} of layer {layer} (of "
        "{layers}) differ from the expected training: at {index} expected "
        "{expected}, found {found}. Train on the examples in order, one SGD step "
        "per example.",
        "it": "Dopo più epoche di fit(), i {what} del layer {layer} (su {layers}) "
        "sono diversi da quelli dell'addestramento atteso: in {index} atteso "
        "{expected}, trovato {found}. Addestra sugli esempi nel loro ordine, un "
        "passo di SGD per esempio.",
    },
    "fit_after_backward": {
        "en": "fit() relies on backward(): fix the backward() checks first.",
        "it": "fit() si basa su backward(): prima correggi i controlli di backward().",
    },
    "loss_missing": {
        "en": "fit() printed no loss line for {epochs} epochs: after each epoch "
        "print a line like '{example}'.",
        "it": "fit() non ha stampato nessuna riga di loss per {epochs} epoche: dopo "
        "ogni epoca stampa una riga come '{example}'.",
    },
    "loss_format": {
        "en": "The loss line '{line}' is not in the expected format: print it as "
        "f'Loss at epoch {{epoch + 1}}: {{average_loss:.3f}}', for example "
        "'{example}'.",
        "it": "La riga di loss '{line}' non è nel formato atteso: stampala come "
        "f'Loss at epoch {{epoch + 1}}: {{average_loss:.3f}}', per esempio "
        "'{example}'.",
    },
    "loss_count": {
        "en": "fit() printed {found} loss lines for {epochs} epochs: print exactly "
        "one per epoch, after the loop over the examples.",
        "it": "fit() ha stampato {found} righe di loss per {epochs} epoche: stampane "
        "esattamente una per epoca, dopo il ciclo sugli esempi.",
    },
    "loss_numbering": {
        "en": "The epochs are numbered {found}, but for {epochs} epochs they must "
        "be numbered from 1: print epoch + 1.",
        "it": "Le epoche sono numerate {found}, ma per {epochs} epoche vanno "
        "numerate da 1: stampa epoch + 1.",
    },
    "loss_value_format": {
        "en": "The printed loss '{value}' is not a number with 3 decimals: format "
        "it with :.3f, and check that it is a number.",
        "it": "La loss stampata '{value}' non è un numero con 3 decimali: formattala "
        "con :.3f e controlla che sia un numero.",
    },
    "loss_value": {
        "en": "At epoch {epoch} you printed {found}, but the average loss of that "
        "epoch is {expected}: add up the loss of every example, reset the total at "
        "the start of each epoch and divide by the number of examples.",
        "it": "All'epoca {epoch} hai stampato {found}, ma la loss media di "
        "quell'epoca è {expected}: somma la loss di ogni esempio, azzera il totale "
        "all'inizio di ogni epoca e dividi per il numero di esempi.",
    },
    "falls_no_values": {
        "en": "No loss values could be read from what fit() printed for {epochs} "
        "epochs.",
        "it": "Non è stato possibile leggere nessun valore di loss da quello che "
        "fit() ha stampato per {epochs} epoche.",
    },
    "falls_not": {
        "en": "The printed loss does not fall at epoch {epoch}: {previous:g} then "
        "{found:g}.",
        "it": "La loss stampata non scende all'epoca {epoch}: {previous:g} e poi "
        "{found:g}.",
    },
    # -- loading
    "depends_on_load": {
        "en": "Not run, because the file could not be loaded.",
        "it": "Non eseguito, perché non è stato possibile caricare il file.",
    },
    "class_missing": {
        "en": "The class {name} is not defined in your file.",
        "it": "La classe {name} non è definita nel tuo file.",
    },
    "method_missing": {
        "en": "The method {name} is not defined.",
        "it": "Il metodo {name} non è definito.",
    },
    "syntax_error": {
        "en": "Your file has a syntax error at {position}: {message}.{code_line}",
        "it": "Il tuo file ha un errore di sintassi in {position}: "
        "{message}.{code_line}",
    },
    "syntax_error_line": {
        "en": " The line is: {code}",
        "it": " La riga è: {code}",
    },
    "unsupported_file": {
        "en": "{path} is neither a .py file nor a .ipynb notebook.",
        "it": "{path} non è né un file .py né un notebook .ipynb.",
    },
    "file_too_large": {
        "en": "{path} is {size} bytes, larger than any real submission: check that "
        "it is the right file.",
        "it": "{path} occupa {size} byte, più di qualsiasi consegna reale: controlla "
        "che sia il file giusto.",
    },
    "file_unreadable": {
        "en": "{path} could not be read: {error}.",
        "it": "Non è stato possibile leggere {path}: {error}.",
    },
    "not_utf8": {
        "en": "{path} is not UTF-8 text (invalid byte at position {position}): "
        "save it as UTF-8.",
        "it": "{path} non è testo UTF-8 (byte non valido alla posizione {position}): "
        "salvalo in UTF-8.",
    },
    "notebook_invalid_json": {
        "en": "{path} is not a valid notebook (invalid JSON: {error}): download it "
        "again from Jupyter.",
        "it": "{path} non è un notebook valido (JSON non valido: {error}): scaricalo "
        "di nuovo da Jupyter.",
    },
    "notebook_no_cells": {
        "en": "{path} is not a Jupyter notebook: it has no list of cells.",
        "it": "{path} non è un notebook Jupyter: non ha un elenco di celle.",
    },
    "notebook_no_code": {
        "en": "{path} contains no code: write the exercise in its code cells.",
        "it": "{path} non contiene codice: scrivi l'esercizio nelle sue celle di "
        "codice.",
    },
    # -- notes
    "self_check_skipped": {
        "en": "The self-check in cell {cell} was not run during grading.",
        "it": "L'autoverifica nella cella {cell} non è stata eseguita durante la "
        "valutazione.",
    },
    "magics_skipped": {
        "en": "IPython magic or shell lines skipped: {count}.",
        "it": "Righe di magic IPython o di shell saltate: {count}.",
    },
    "cell_raised": {
        "en": "In {cell}, your code raised {type}{line_text}: {message}. Grading "
        "went on with the classes as they were defined.",
        "it": "Nella {cell} il tuo codice ha sollevato {type}{line_text}: {message}. "
        "La valutazione è andata avanti con le classi così come erano definite.",
    },
    "note_input_called": {
        "en": "Your code called input(), but grading gives it no input, so it "
        "received an empty string: remove the input() calls.",
        "it": "Il tuo codice ha chiamato input(), ma durante la valutazione non c'è "
        "nessun input, quindi ha ricevuto una stringa vuota: togli le chiamate a "
        "input().",
    },
    "note_matplotlib_missing": {
        "en": "matplotlib is not installed where your code was graded, so the "
        "plotting calls were skipped.",
        "it": "matplotlib non è installato dove è stato valutato il tuo codice, "
        "quindi le chiamate per i grafici sono state saltate.",
    },
    "state_changed_before_backward": {
        "en": "The layer's weights or biases were not the values the grader gave "
        "the layer when backward() started: Layer.__init__ and forward() must "
        "not change self.weights or self.biases. Keep the given forward().",
        "it": "I pesi o i bias del layer non erano quelli che il correttore gli "
        "aveva dato quando è partita backward(): Layer.__init__ e forward() non "
        "devono cambiare self.weights o self.biases. Tieni la forward() data.",
    },
    "over_budget": {
        "en": "Grading stopped {where}: your code had used up the {seconds:g} s "
        "allowed for the whole submission. Look for slow or blocking code, such as "
        "sleep() calls or long training runs at the top level.",
        "it": "La correzione si è fermata {where}: il tuo codice aveva già usato i "
        "{seconds:g} s concessi per tutta la consegna. Cerca codice lento o "
        "bloccante, come chiamate a sleep() o lunghi addestramenti al livello "
        "principale del file.",
    },
    "loss_value_training": {
        "en": "When fit() trains on X_train at learning rate 0.01, at epoch {epoch} "
        "you printed {found}, but the average loss of that epoch is {expected}: add "
        "each example's loss as computed before its update, reset the total at the "
        "start of each epoch, and divide by the number of examples.",
        "it": "Quando fit() addestra su X_train con learning rate 0.01, all'epoca "
        "{epoch} hai stampato {found}, ma la loss media di quell'epoca è "
        "{expected}: somma la loss di ogni esempio calcolata prima del suo "
        "aggiornamento, azzera il totale all'inizio di ogni epoca e dividi per il "
        "numero di esempi.",
    },
    "sandbox_lost": {
        "en": "Your code stopped or killed the process that runs it, so grading "
        "could not go on ({detail}). Do not send signals to other processes.",
        "it": "Il tuo codice ha fermato o terminato il processo che lo esegue, "
        "quindi la correzione non è potuta continuare ({detail}). Non mandare "
        "segnali ad altri processi.",
    },
    "cell_left_out": {
        "en": "A cell was left out because of a syntax error: {detail}",
        "it": "Una cella è stata esclusa per un errore di sintassi: {detail}",
    },
    "stderr_written": {
        "en": "Your code printed warnings on standard error; they do not cost "
        "points:\n    {lines}",
        "it": "Il tuo codice ha stampato degli avvisi sullo standard error; non "
        "tolgono punti:\n    {lines}",
    },
    # -- the report
    "report_title": {
        "en": "Grading {path} (seed {seed})",
        "it": "Valutazione di {path} (seed {seed})",
    },
    "report_score": {
        "en": "Score: {score}/{max_score}",
        "it": "Punteggio: {score}/{max_score}",
    },
    "report_full_marks": {
        "en": "Full marks: every check passed.",
        "it": "Punteggio pieno: hai superato tutti i controlli.",
    },
    "report_fix_only": {
        "en": "One check fails: {name}.",
        "it": "Un solo controllo non passa: {name}.",
    },
    "report_fix_one_cause": {
        "en": "Fix this first: {name}. Every failing check has the same cause, "
        "explained below.",
        "it": "Correggi prima questo: {name}. Tutti i controlli che non passano "
        "hanno la stessa causa, spiegata qui sotto.",
    },
    "report_fix_first": {
        "en": "Fix this first: {name}. {reason}",
        "it": "Correggi prima questo: {name}. {reason}",
    },
    "reason_load": {
        "en": "Nothing else can be checked until your file loads.",
        "it": "Finché il file non si carica, non si può controllare nient'altro.",
    },
    "reason_backward_fit": {
        "en": "fit() trains the network through backward(), so the fit() checks "
        "can pass only once backward() is right.",
        "it": "fit() addestra la rete attraverso backward(), quindi i controlli di "
        "fit() possono passare solo quando backward() è giusto.",
    },
    "reason_backward": {
        "en": "It is the first failing step of backward(), which computes "
        "d_weights, d_biases and da_prev and then updates the parameters.",
        "it": "È il primo passo di backward() che non passa: backward() calcola "
        "d_weights, d_biases e da_prev e poi aggiorna i parametri.",
    },
    "reason_one_step": {
        "en": "The other fit() checks repeat this single training step over many "
        "examples and epochs.",
        "it": "Gli altri controlli di fit() ripetono questo singolo passo di "
        "addestramento su molti esempi ed epoche.",
    },
    "reason_replay": {
        "en": "The loss checks print the loss of this same training.",
        "it": "I controlli sulla loss stampano la loss di questo stesso addestramento.",
    },
    "reason_loss_report": {
        "en": "fit.loss_falls reads the same printed loss lines.",
        "it": "fit.loss_falls legge le stesse righe di loss stampate.",
    },
    "report_notes": {"en": "Notes", "it": "Note"},
    "report_output": {
        "en": "What your code printed",
        "it": "Cosa ha stampato il tuo codice",
    },
    "report_truncated": {
        "en": "[... {dropped} characters not shown ...]",
        "it": "[... {dropped} caratteri non mostrati ...]",
    },
    "report_not_run": {"en": "not run", "it": "non eseguito"},
    "report_status_passed": {"en": "ok", "it": "ok"},
    "report_status_failed": {"en": "FAIL", "it": "KO"},
    "report_status_not_run": {"en": "--", "it": "--"},
    "report_line": {"en": "line {line}", "it": "riga {line}"},
    "report_grader_error": {
        "en": "The submission could not be graded because of a fault in the "
        "grader: {detail}",
        "it": "Non è stato possibile valutare la consegna per un errore del "
        "correttore: {detail}",
    },
    "grader_fault": {"en": "{detail}", "it": "{detail}"},
    "report_curve": {
        "en": "Loss per epoch at learning rate 0.01",
        "it": "Loss per epoca con learning rate 0.01",
    },
    "report_curve_legend": {
        "en": "o expected   x yours   * both",
        "it": "o attesa   x tua   * entrambe",
    },
    "report_curve_epoch": {"en": "epoch", "it": "epoca"},
    "report_curve_off_chart": {
        "en": "Printed values that are not finite numbers, not plotted: epochs "
        "{epochs}.",
        "it": "Valori stampati che non sono numeri finiti, non disegnati: epoche "
        "{epochs}.",
    },
    # -- recognised mistakes: named by grader/diagnosis.py, first in feedback
    "mistake_derivative_missing": {
        "en": "The activation derivative is missing from dz: your d_weights, "
        "d_biases and da_prev are what dz = da gives. dz multiplies da, element by "
        "element, by the derivative of the activation at z (self.outputs), and the "
        "three gradients are all built from that dz.",
        "it": "Manca la derivata dell'attivazione in dz: i tuoi d_weights, d_biases "
        "e da_prev sono quelli che si ottengono con dz = da. dz moltiplica da, "
        "elemento per elemento, per la derivata dell'attivazione calcolata in z "
        "(self.outputs), e i tre gradienti si costruiscono tutti da quel dz.",
    },
    "mistake_derivative_at_output": {
        "en": "The activation derivative is taken at the wrong point: your "
        "gradients match a derivative evaluated at the activation a = f(z) instead "
        "of at z. Pass it the pre-activation z, which forward() stores in "
        "self.outputs. For ReLU the two agree, which is why only the sigmoid and "
        "tanh layers fail.",
        "it": "La derivata dell'attivazione è calcolata nel punto sbagliato: i tuoi "
        "gradienti corrispondono a una derivata calcolata nell'attivazione "
        "a = f(z) invece che in z. Passale la pre-attivazione z, che forward() "
        "salva in self.outputs. Con ReLU le due coincidono, per questo sbagliano "
        "solo i layer sigmoid e tanh.",
    },
    "mistake_derivative_at_input": {
        "en": "The activation derivative is taken at the layer's input x: "
        "backward() multiplies da, with {n_neurons} rows, by a derivative with "
        "{n_inputs} rows, one per input. The derivative belongs at the "
        "pre-activation z (self.outputs), which has one entry per neuron, like da.",
        "it": "La derivata dell'attivazione è calcolata nell'input x del layer: "
        "backward() moltiplica da, che ha {n_neurons} righe, per una derivata con "
        "{n_inputs} righe, una per input. La derivata va calcolata nella "
        "pre-attivazione z (self.outputs), che ha un valore per neurone, come da.",
    },
    "mistake_d_weights_transposed": {
        "en": "d_weights is transposed: it has shape ({n_inputs}, {n_neurons}), so "
        "it cannot be subtracted from self.weights, of shape ({n_neurons}, "
        "{n_inputs}). d_weights needs one row per neuron and one column per input: "
        "check the order of dz and the input in its product.",
        "it": "d_weights è trasposto: ha forma ({n_inputs}, {n_neurons}), quindi "
        "non si può sottrarre da self.weights, che ha forma ({n_neurons}, "
        "{n_inputs}). d_weights deve avere una riga per neurone e una colonna per "
        "input: controlla l'ordine di dz e dell'input nel prodotto.",
    },
    "mistake_d_weights_uses_output": {
        "en": "d_weights is built from the layer's output instead of its input: "
        "it has shape ({n_neurons}, {n_neurons}) instead of ({n_neurons}, "
        "{n_inputs}). Each weight multiplies an input, so d_weights combines dz "
        "with the input x (self.inputs), not with z or a.",
        "it": "d_weights è calcolato dall'uscita del layer invece che dal suo "
        "input: ha forma ({n_neurons}, {n_neurons}) invece di ({n_neurons}, "
        "{n_inputs}). Ogni peso moltiplica un input, quindi d_weights combina dz "
        "con l'input x (self.inputs), non con z o con a.",
    },
    "mistake_da_prev_after_update": {
        "en": "da_prev is computed with the weights after the update: the value "
        "you return matches the updated weights. da_prev uses the weights as they "
        "were when forward() ran, so compute it before you change self.weights, "
        "or keep the old weights.",
        "it": "da_prev è calcolato con i pesi dopo l'aggiornamento: il valore che "
        "restituisci corrisponde ai pesi aggiornati. da_prev usa i pesi com'erano "
        "quando è stato eseguito forward(), quindi calcolalo prima di modificare "
        "self.weights, oppure conserva i pesi vecchi.",
    },
    "mistake_da_prev_not_returned": {
        "en": "backward() does not return da_prev: the value it returns is None. "
        "fit() passes the returned value on to the previous layer, so backward() "
        "must end by returning da_prev.",
        "it": "backward() non restituisce da_prev: il valore che restituisce è None. "
        "fit() passa il valore restituito al layer precedente, quindi backward() "
        "deve terminare restituendo da_prev.",
    },
    "mistake_da_prev_not_transposed": {
        "en": "da_prev multiplies the weights by dz without transposing them: "
        "self.weights has shape ({n_neurons}, {n_inputs}) and dz has {n_neurons} "
        "rows, so the shapes do not fit. da_prev needs one entry per input of the "
        "layer, which the transposed weights give.",
        "it": "da_prev moltiplica i pesi per dz senza trasporli: self.weights ha "
        "forma ({n_neurons}, {n_inputs}) e dz ha {n_neurons} righe, quindi le "
        "forme non sono compatibili. da_prev deve avere un valore per ogni input "
        "del layer, e lo danno i pesi trasposti.",
    },
    "mistake_da_prev_skips_derivative": {
        "en": "da_prev is computed from da instead of dz, so it leaves out the "
        "activation derivative. The gradient passed to the previous layer goes "
        "back through the activation too: use the same dz as d_weights and "
        "d_biases.",
        "it": "da_prev è calcolato da da invece che da dz, quindi non contiene la "
        "derivata dell'attivazione. Anche il gradiente passato al layer precedente "
        "attraversa l'attivazione: usa lo stesso dz di d_weights e d_biases.",
    },
    "mistake_gradient_added": {
        "en": "The update adds the gradient step to {what} instead of subtracting "
        "it, so the parameters climb the loss. Gradient descent moves each "
        "parameter against its gradient.",
        "it": "L'aggiornamento somma il passo del gradiente a {what} invece di "
        "sottrarlo, quindi i parametri fanno salire la loss. La discesa del "
        "gradiente sposta ogni parametro nel verso opposto al suo gradiente.",
    },
    "mistake_learning_rate_ignored": {
        "en": "The update of {what} ignores the learning rate: the step is the "
        "whole gradient, whatever learning_rate is. Scale each step by "
        "learning_rate.",
        "it": "L'aggiornamento di {what} ignora il learning rate: il passo è il "
        "gradiente intero, qualunque sia learning_rate. Moltiplica ogni passo per "
        "learning_rate.",
    },
    "mistake_learning_rate_twice": {
        "en": "The update of {what} applies the learning rate twice: the step is "
        "learning_rate squared times the gradient, as when the gradient is already "
        "scaled by learning_rate and the update scales it again. Apply it once.",
        "it": "L'aggiornamento di {what} applica il learning rate due volte: il "
        "passo è learning_rate al quadrato per il gradiente, come quando il "
        "gradiente è già moltiplicato per learning_rate e l'aggiornamento lo "
        "moltiplica di nuovo. Applicalo una volta sola.",
    },
    "mistake_biases_not_updated": {
        "en": "The biases are never updated: self.biases is the same after "
        "backward() as before. Take the gradient-descent step on self.biases too, "
        "and store the result in self.biases.",
        "it": "I bias non vengono mai aggiornati: self.biases è uguale prima e dopo "
        "backward(). Fai il passo di discesa del gradiente anche su self.biases e "
        "salva il risultato in self.biases.",
    },
    "mistake_d_biases_summed": {
        "en": "d_biases is summed to a single number, so every bias moves by the "
        "same amount. Each neuron has its own bias and its own gradient: d_biases "
        "has the shape of dz, one entry per neuron.",
        "it": "d_biases è sommato in un unico numero, quindi tutti i bias si "
        "spostano della stessa quantità. Ogni neurone ha il suo bias e il suo "
        "gradiente: d_biases ha la stessa forma di dz, un valore per neurone.",
    },
    "mistake_gradient_accumulator": {
        "en": "d_weights and d_biases are right on a layer's first call, but on "
        "the next call they are the sum of both calls' gradients: backward() keeps "
        "a running total between calls. Each call's gradients come from that "
        "call's da and input alone.",
        "it": "d_weights e d_biases sono giusti alla prima chiamata su un layer, ma "
        "alla chiamata successiva sono la somma dei gradienti di entrambe le "
        "chiamate: backward() tiene un totale da una chiamata all'altra. I "
        "gradienti di ogni chiamata dipendono solo dal da e dall'input di quella "
        "chiamata.",
    },
    "mistake_layers_forward": {
        "en": "fit() calls backward() on the layers from the first to the last. "
        "Backpropagation goes the other way, from the output layer back to the "
        "first, because each layer needs the da that the layer after it returns.",
        "it": "fit() chiama backward() sui layer dal primo all'ultimo. La "
        "retropropagazione va nel verso opposto, dal layer di uscita fino al "
        "primo, perché ogni layer ha bisogno del da restituito dal layer "
        "successivo.",
    },
    "mistake_da_not_passed": {
        "en": "fit() does not pass on the value that backward() returns, so every "
        "layer receives the output layer's da. Each call to backward() returns the "
        "da of the layer before it: give that value to the next call.",
        "it": "fit() non passa avanti il valore restituito da backward(), quindi "
        "ogni layer riceve il da del layer di uscita. Ogni chiamata a backward() "
        "restituisce il da del layer precedente: passa quel valore alla chiamata "
        "successiva.",
    },
    "mistake_bce_derivative_sign": {
        "en": "dL/dy_hat has the wrong sign, so training climbs the loss instead of "
        "descending it. Derive it again from L = -(y log(y_hat) + (1 - y) "
        "log(1 - y_hat)) and check which of y_hat and y comes first.",
        "it": "dL/dy_hat ha il segno sbagliato, quindi l'addestramento fa salire la "
        "loss invece di farla scendere. Ricavala di nuovo da L = -(y log(y_hat) + "
        "(1 - y) log(1 - y_hat)) e controlla quale tra y_hat e y viene per primo.",
    },
    "mistake_bce_derivative_difference_only": {
        "en": "The da that fit() gives the output layer is y_hat - y. That "
        "difference is already the gradient with respect to the output's z, after "
        "the sigmoid derivative, but the output layer's backward() multiplies by "
        "the sigmoid derivative again. Give backward() dL/dy_hat, the gradient "
        "with respect to y_hat itself.",
        "it": "Il da che fit() passa al layer di uscita è y_hat - y. Quella "
        "differenza è già il gradiente rispetto alla z dell'uscita, con la "
        "derivata della sigmoid inclusa, ma backward() del layer di uscita "
        "moltiplica di nuovo per la derivata della sigmoid. Passa a backward() "
        "dL/dy_hat, il gradiente rispetto a y_hat.",
    },
    "mistake_first_layer_skipped": {
        "en": "fit() never updates the first layer: the loop over the layers stops "
        "one layer early. Every layer, the first included, must call backward().",
        "it": "fit() non aggiorna mai il primo layer: il ciclo sui layer si ferma "
        "un layer prima. Ogni layer, compreso il primo, deve chiamare backward().",
    },
    "mistake_loss_not_reset": {
        "en": "The loss total is not reset at the start of each epoch, so each "
        "printed value also counts the earlier epochs. Set the total to 0 inside "
        "the loop over the epochs, before the loop over the examples.",
        "it": "Il totale della loss non viene azzerato all'inizio di ogni epoca, "
        "quindi ogni valore stampato conta anche le epoche precedenti. Metti il "
        "totale a 0 dentro il ciclo sulle epoche, prima del ciclo sugli esempi.",
    },
    "mistake_loss_wrong_count": {
        "en": "The average is over the wrong count: the printed value is the "
        "epoch's total loss divided by {divisor}, instead of by the number of "
        "examples, {examples}.",
        "it": "La media è fatta sul conteggio sbagliato: il valore stampato è la "
        "loss totale dell'epoca divisa per {divisor}, invece che per il numero di "
        "esempi, {examples}.",
    },
    "divisor_epoch_number": {
        "en": "the epoch's number (1, 2, 3, ...)",
        "it": "il numero dell'epoca (1, 2, 3, ...)",
    },
    "mistake_loss_last_example": {
        "en": "The printed value is the loss of the epoch's last example, not the "
        "average over the epoch. Add up every example's loss during the epoch, "
        "then print the total divided by the number of examples.",
        "it": "Il valore stampato è la loss dell'ultimo esempio dell'epoca, non la "
        "media sull'epoca. Somma la loss di ogni esempio durante l'epoca, poi "
        "stampa il totale diviso per il numero di esempi.",
    },
    "mistake_loss_sign": {
        "en": "The printed loss is negative: the binary cross-entropy has lost its "
        "leading minus sign. log(y_hat) and log(1 - y_hat) are negative, so the "
        "loss -(y log(y_hat) + (1 - y) log(1 - y_hat)) is positive.",
        "it": "La loss stampata è negativa: alla cross-entropy binaria manca il "
        "segno meno davanti. log(y_hat) e log(1 - y_hat) sono negativi, quindi la "
        "loss -(y log(y_hat) + (1 - y) log(1 - y_hat)) è positiva.",
    },
    "mistake_loss_printed_per_example": {
        "en": "fit() printed {found} loss lines for {epochs} epochs of {examples} "
        "examples, one per example: the print is inside the loop over the "
        "examples. Move it after that loop, so that it runs once per epoch.",
        "it": "fit() ha stampato {found} righe di loss per {epochs} epoche da "
        "{examples} esempi, una per esempio: la print è dentro il ciclo sugli "
        "esempi. Spostala dopo quel ciclo, così viene eseguita una volta per "
        "epoca.",
    },
    # -- the class summary of batch mode
    "batch_graded": {
        "en": "Graded {count} submissions in {seconds} s ({rate} per second, "
        "{jobs} processes).",
        "it": "Valutate {count} consegne in {seconds} s ({rate} al secondo, "
        "{jobs} processi).",
    },
    "batch_scores": {
        "en": "Scores of the graded submissions (bins of 10 points):",
        "it": "Punteggi delle consegne valutate (fasce di 10 punti):",
    },
    "batch_mean_median": {
        "en": "Mean {mean}, median {median}.",
        "it": "Media {mean}, mediana {median}.",
    },
    "batch_full_marks": {
        "en": "Full marks: {count} of {total}.",
        "it": "Punteggio pieno: {count} su {total}.",
    },
    "batch_mistakes": {
        "en": "Submissions per recognised mistake, most common first:",
        "it": "Consegne per errore riconosciuto, dal più frequente:",
    },
    "batch_failed_checks": {
        "en": "Submissions per failed check, most common first:",
        "it": "Consegne per controllo fallito, dal più frequente:",
    },
    "batch_failures": {
        "en": "Not fully graded ({count}):",
        "it": "Non valutate del tutto ({count}):",
    },
    "batch_grader_fault": {
        "en": "grader fault",
        "it": "errore del correttore",
    },
    "batch_not_loaded": {
        "en": "could not be loaded",
        "it": "non è stato possibile caricarla",
    },
    "batch_timed_out": {
        "en": "timed out",
        "it": "tempo scaduto",
    },
    # -- the notebook's self-check
    "self_check_header": {
        "en": "the imports the self-check copied",
        "it": "gli import copiati dall'autoverifica",
    },
    "self_check_cell_label": {
        "en": "the cell that defines {name}",
        "it": "la cella che definisce {name}",
    },
    "self_check_file_label": {"en": "{file}", "it": "{file}"},
    "self_check_not_class": {
        "en": "self_check() expects the classes Layer and Perceptron, but {name} is "
        "a {type}: call self_check(Layer, Perceptron).",
        "it": "self_check() si aspetta le classi Layer e Perceptron, ma {name} è "
        "un {type}: chiama self_check(Layer, Perceptron).",
    },
    "self_check_no_methods": {
        "en": "The class {name} has no methods, so the self-check cannot find its "
        "code: run the cell that defines Layer and Perceptron again.",
        "it": "La classe {name} non ha metodi, quindi l'autoverifica non trova il "
        "suo codice: esegui di nuovo la cella che definisce Layer e Perceptron.",
    },
    "self_check_no_source": {
        "en": "The self-check could not find the code of {name}: run the cell that "
        "defines it again, then run this cell.",
        "it": "L'autoverifica non trova il codice di {name}: esegui di nuovo la "
        "cella che lo definisce, poi questa cella.",
    },
    "self_check_not_copied": {
        "en": "The self-check could not copy these names from your notebook, "
        "because their values cannot be written as code: {names}. If your classes "
        "use them, define them inside the classes or in the cell with the "
        "imports.",
        "it": "L'autoverifica non ha potuto copiare questi nomi dal tuo notebook, "
        "perché i loro valori non si possono scrivere come codice: {names}. Se le "
        "tue classi li usano, definiscili dentro le classi o nella cella degli "
        "import.",
    },
    "self_check_no_expected": {
        "en": "this copy of the self-check has the expected training results for "
        "seed 0 only, and none matches seed {seed} ({detail}); call self_check() "
        "without a seed, or ask your instructor for a new release.",
        "it": "questa copia dell'autoverifica ha i risultati attesi "
        "dell'addestramento solo per il seed 0, e nessuno corrisponde al seed "
        "{seed} ({detail}); chiama self_check() senza seed, o chiedi al docente "
        "una nuova versione.",
    },
    "self_check_to_write": {
        "en": "Still to write: {methods}. The checks below stay at 0 points until "
        "they no longer raise NotImplementedError.",
        "it": "Ancora da scrivere: {methods}. I controlli qui sotto restano a 0 "
        "punti finché non sollevano più NotImplementedError.",
    },
    "self_check_plot_expected": {"en": "expected", "it": "attesa"},
    "self_check_plot_yours": {"en": "yours", "it": "tua"},
    # -- CI platforms: the GitHub job summary, pull requests, Gradescope
    "summary_result": {"en": "Result", "it": "Esito"},
    "summary_check": {"en": "Check", "it": "Controllo"},
    "summary_points": {"en": "Points", "it": "Punti"},
    "summary_what": {"en": "What it checks", "it": "Cosa controlla"},
    "summary_passed": {"en": "passed", "it": "superato"},
    "summary_failed": {"en": "failed", "it": "non superato"},
    "summary_report": {"en": "The full report", "it": "Il report completo"},
    "summary_submission": {"en": "Submission", "it": "Consegna"},
    "summary_left_out": {
        "en": "The details of {count} more submissions are left out, because "
        "GitHub shows no summary larger than 1 MiB; the JUnit file has them all.",
        "it": "I dettagli di altre {count} consegne sono omessi, perché GitHub non "
        "mostra riepiloghi più grandi di 1 MiB; il file JUnit le contiene tutte.",
    },
    "isolated_crashed": {
        "en": "grade stopped with exit status {status} instead of grading; the "
        "log of this grading run shows why.",
        "it": "grade si è fermato con codice di uscita {status} invece di "
        "valutare; il log di questa valutazione mostra perché.",
    },
    "isolated_timed_out": {
        "en": "grade did not finish in time and was stopped; the log of this "
        "grading run shows how far it got.",
        "it": "grade non ha finito in tempo ed è stato fermato; il log di questa "
        "valutazione mostra fin dove è arrivato.",
    },
    "ci_threshold_passed": {
        "en": "Check passed: your score {score}/{max_score} reaches the {min_score} "
        "points this check needs.",
        "it": "Controllo superato: il tuo punteggio {score}/{max_score} raggiunge i "
        "{min_score} punti richiesti.",
    },
    "ci_threshold_failed": {
        "en": "Check failed: your score {score}/{max_score} is below the "
        "{min_score} points this check needs.",
        "it": "Controllo non superato: il tuo punteggio {score}/{max_score} è sotto "
        "i {min_score} punti richiesti.",
    },
    "ci_nothing_to_grade": {
        "en": "This pull request adds or changes no .py or .ipynb file outside "
        "grader/, tests/, .github/ and exercise/, so there is nothing to grade: "
        "commit your solution, for example in perceptron.py or perceptron.ipynb.",
        "it": "Questa pull request non aggiunge né modifica file .py o .ipynb fuori "
        "da grader/, tests/, .github/ ed exercise/, quindi non c'è niente da "
        "valutare: fai il commit della tua soluzione, per esempio in perceptron.py "
        "o perceptron.ipynb.",
    },
    "ci_no_listed_submission": {
        "en": "This pull request changes none of the files that are graded here "
        "({files}): commit your solution in one of them.",
        "it": "Questa pull request non modifica nessuno dei file che vengono "
        "valutati qui ({files}): fai il commit della tua soluzione in uno di questi.",
    },
    "ci_ignored_changes": {
        "en": "This pull request also changes {count} file(s) that are not graded, "
        "and they do not change the grade: the grader, utils.py and the workflow "
        "always come from the base branch. {files}",
        "it": "Questa pull request modifica anche {count} file che non vengono "
        "valutati e non cambiano il voto: il correttore, utils.py e il workflow "
        "vengono sempre dal branch di base. {files}",
    },
    "gradescope_no_submission": {
        "en": "Your submission contains no .py or .ipynb file to grade: upload "
        "{expected}.",
        "it": "La tua consegna non contiene file .py o .ipynb da valutare: carica "
        "{expected}.",
    },
    "gradescope_several_submissions": {
        "en": "Your submission contains several files that could be graded "
        "({files}): upload only one, named {expected}.",
        "it": "La tua consegna contiene più file che si potrebbero valutare "
        "({files}): caricane uno solo, con nome {expected}.",
    },
    "gradescope_failed": {
        "en": "Grading failed because of an error in the autograder, not in your "
        "code, so your score is 0 for now. Your instructor can see the details: "
        "tell them, or submit again later.",
        "it": "La valutazione non è riuscita per un errore dell'autograder, non del "
        "tuo codice, quindi per ora il punteggio è 0. Il docente può vedere i "
        "dettagli: avvisalo, o riprova a consegnare più tardi.",
    },
}


def detect_language(explicit: str | None = None) -> str:
    """Choose the language: the explicit choice, else the locale, else English.

    The locale is the first set variable of ``LOCALE_VARIABLES``; its language
    code is read from names such as "it_IT.UTF-8" or "it". A language the
    catalog lacks, or the "C" and "POSIX" locales, give English.
    """
    if explicit:
        code = explicit.strip().lower()
        return code if code in LANGUAGES else DEFAULT_LANGUAGE
    for variable in LOCALE_VARIABLES:
        value = os.environ.get(variable, "")
        if value:
            code = re.split(r"[_.@-]", value, maxsplit=1)[0].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def fields(template: str) -> set[str]:
    """Return the names of the format fields in a catalog template."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name:
            names.add(name.split(".")[0].split("[")[0])
    return names


class _Formatter(string.Formatter):
    """str.format that shows a missing field as "?", and a value that does not
    fit its format spec as plain text, instead of raising."""

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "?") if isinstance(key, str) else "?"

    def format_field(self, value, format_spec):
        try:
            return format(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = _Formatter()


def render(message: Message, language: str = DEFAULT_LANGUAGE) -> str:
    """Render a catalog message in ``language``, falling back to English.

    An unknown key renders as the key itself, so that a missing entry shows
    in the output instead of raising.
    """
    entry = CATALOG.get(message.key)
    if entry is None:
        return message.key
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    values = {k: _format_value(v, language) for k, v in message.params.items()}
    values.update(_derived(message, fields(template), language))
    return _FORMATTER.vformat(template, (), values)


def cell_text(label: str | None, language: str) -> str:
    """Translate a notebook cell label such as "cell 4" into ``language``."""
    match = re.fullmatch(r"cell (\d+)", label or "")
    if match is None:
        return label or ""
    return render(Message("cell_label", {"number": int(match.group(1))}), language)


def _format_value(value, language: str):
    if isinstance(value, Message):
        return render(value, language)
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if value is None:
        return "?"
    return value


def _derived(message: Message, needed: set[str], language: str) -> dict:
    """Fields a template uses that are computed from the parameters.

    Only the fields in ``needed`` are computed, so that rendering "where"
    does not render "where" again.
    """
    params = message.params
    derived = {}
    method = params.get("method")
    if "where" in needed and method:
        if method == "load":
            derived["where"] = render(Message("where_load"), language)
        else:
            where = Message("where_method", {"method": method})
            derived["where"] = render(where, language)
    if "hint" in needed:
        key = f"hint_{method}" if f"hint_{method}" in CATALOG else "hint_other"
        derived["hint"] = render(Message(key), language)
    if "line_text" in needed:
        line = params.get("line")
        at_line = Message("at_line", {"line": line})
        derived["line_text"] = render(at_line, language) if line else ""
    if "cell" in needed and isinstance(params.get("cell"), str):
        derived["cell"] = cell_text(params["cell"], language)
    if "position" in needed and "position" not in params:
        derived["position"] = _position(params, language)
    if "code_line" in needed:
        code = str(params.get("text") or "").strip()
        code_line = Message("syntax_error_line", {"code": code})
        derived["code_line"] = render(code_line, language) if code else ""
    return derived


def _position(params: dict, language: str) -> str:
    """Describe where a syntax error is: line, column and cell, when known."""
    line, column = params.get("line"), params.get("column")
    if line and column:
        key = "position_line_column"
    elif line:
        key = "position_line"
    else:
        return "?"
    position = render(Message(key, {"line": line, "column": column}), language)
    cell = params.get("cell")
    if cell:
        where = {"cell": cell_text(cell, language), "position": position}
        position = render(Message("position_in_cell", where), language)
    return position
